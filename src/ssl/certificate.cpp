#include "ssl/certificate.hpp"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>

namespace pysock::detail {
namespace {

struct bio_deleter {
  void operator()(BIO* b) const { BIO_free(b); }
};

// What an OpenSSL printer (ASN1_TIME_print, i2a_ASN1_INTEGER, ...) writes, as a string.
template <class Print>
std::string printed(Print print) {
  std::unique_ptr<BIO, bio_deleter> bio(BIO_new(BIO_s_mem()));
  print(bio.get());
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string utf8(const ASN1_STRING* value) {
  unsigned char* text = nullptr;
  const int size = ASN1_STRING_to_UTF8(&text, value);
  if (size < 0) return {};
  std::string result(reinterpret_cast<char*>(text), static_cast<std::size_t>(size));
  OPENSSL_free(text);
  return result;
}

std::string object_name(const ASN1_OBJECT* object) {
  char buffer[256];
  const int size = OBJ_obj2txt(buffer, sizeof buffer, object, 0);
  return size < 0 ? std::string() : std::string(buffer, std::min<std::size_t>(size, 255));
}

// ((('countryName', 'DE'),), (('commonName', 'x'),)): one tuple per relative distinguished
// name (entries sharing a "set" index), as _create_tuple_for_X509_NAME builds it.
peer_certificate::name decode_name(const X509_NAME* name) {
  peer_certificate::name result;
  int current_set = -1;
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
    if (X509_NAME_ENTRY_set(entry) != current_set) {
      result.emplace_back();
      current_set = X509_NAME_ENTRY_set(entry);
    }
    result.back().emplace_back(object_name(X509_NAME_ENTRY_get_object(entry)),
                               utf8(X509_NAME_ENTRY_get_data(entry)));
  }
  return result;
}

// 'IP Address' values: dotted IPv4, IPv6 as eight uncompressed %X groups.
std::string ip_text(const ASN1_OCTET_STRING* ip) {
  const unsigned char* p = ASN1_STRING_get0_data(ip);
  char buffer[64];
  if (ASN1_STRING_length(ip) == 4) {
    std::snprintf(buffer, sizeof buffer, "%d.%d.%d.%d", p[0], p[1], p[2], p[3]);
    return buffer;
  }
  if (ASN1_STRING_length(ip) == 16) {
    std::string text;
    for (int i = 0; i < 16; i += 2) {
      std::snprintf(buffer, sizeof buffer, "%X", (p[i] << 8) | p[i + 1]);
      if (i) text += ':';
      text += buffer;
    }
    return text;
  }
  return "<invalid>";
}

peer_certificate::alt_name decode_general_name(const GENERAL_NAME* name) {
  switch (name->type) {
    case GEN_DIRNAME:
      return {"DirName", "", decode_name(name->d.directoryName)};
    case GEN_EMAIL:
      return {"email", utf8(name->d.rfc822Name), {}};
    case GEN_DNS:
      return {"DNS", utf8(name->d.dNSName), {}};
    case GEN_URI:
      return {"URI", utf8(name->d.uniformResourceIdentifier), {}};
    case GEN_IPADD:
      return {"IP Address", ip_text(name->d.iPAddress), {}};
    case GEN_RID:
      return {"Registered ID", object_name(name->d.registeredID), {}};
    default: {
      // othername, X400Name, EdiPartyName: GENERAL_NAME_print's "type:value", split.
      const auto text =
          printed([&](BIO* b) { GENERAL_NAME_print(b, const_cast<GENERAL_NAME*>(name)); });
      const auto colon = text.find(':');
      if (colon == std::string::npos) return {text, "", {}};
      return {text.substr(0, colon), text.substr(colon + 1), {}};
    }
  }
}

std::vector<peer_certificate::alt_name> decode_alt_names(X509* cert) {
  std::vector<peer_certificate::alt_name> result;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (!names) return result;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i)
    result.push_back(decode_general_name(sk_GENERAL_NAME_value(names, i)));
  GENERAL_NAMES_free(names);
  return result;
}

// The URIs of one access method in Authority Information Access (OCSP, caIssuers).
std::vector<std::string> access_uris(X509* cert, int method) {
  std::vector<std::string> result;
  auto* info = static_cast<AUTHORITY_INFO_ACCESS*>(
      X509_get_ext_d2i(cert, NID_info_access, nullptr, nullptr));
  if (!info) return result;
  for (int i = 0; i < sk_ACCESS_DESCRIPTION_num(info); ++i) {
    const ACCESS_DESCRIPTION* ad = sk_ACCESS_DESCRIPTION_value(info, i);
    if (OBJ_obj2nid(ad->method) == method && ad->location->type == GEN_URI)
      result.push_back(utf8(ad->location->d.uniformResourceIdentifier));
  }
  AUTHORITY_INFO_ACCESS_free(info);
  return result;
}

std::vector<std::string> crl_uris(X509* cert) {
  std::vector<std::string> result;
  auto* points = static_cast<CRL_DIST_POINTS*>(
      X509_get_ext_d2i(cert, NID_crl_distribution_points, nullptr, nullptr));
  if (!points) return result;
  for (int i = 0; i < sk_DIST_POINT_num(points); ++i) {
    const DIST_POINT* point = sk_DIST_POINT_value(points, i);
    if (!point->distpoint || point->distpoint->type != 0) continue;
    const GENERAL_NAMES* names = point->distpoint->name.fullname;
    for (int j = 0; j < sk_GENERAL_NAME_num(names); ++j) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, j);
      if (name->type == GEN_URI) result.push_back(utf8(name->d.uniformResourceIdentifier));
    }
  }
  CRL_DIST_POINTS_free(points);
  return result;
}

}  // namespace

peer_certificate decode_certificate(X509* cert) {
  peer_certificate result;
  result.subject = decode_name(X509_get_subject_name(cert));
  result.issuer = decode_name(X509_get_issuer_name(cert));
  result.version = static_cast<int>(X509_get_version(cert)) + 1;
  result.serial_number = printed([&](BIO* b) { i2a_ASN1_INTEGER(b, X509_get_serialNumber(cert)); });
  result.not_before = printed([&](BIO* b) { ASN1_TIME_print(b, X509_get0_notBefore(cert)); });
  result.not_after = printed([&](BIO* b) { ASN1_TIME_print(b, X509_get0_notAfter(cert)); });
  result.subject_alt_name = decode_alt_names(cert);
  result.ocsp = access_uris(cert, NID_ad_OCSP);
  result.ca_issuers = access_uris(cert, NID_ad_ca_issuers);
  result.crl_distribution_points = crl_uris(cert);
  return result;
}

std::string certificate_der(X509* cert) {
  unsigned char* der = nullptr;
  const int size = i2d_X509(cert, &der);
  if (size < 0) return {};
  std::string result(reinterpret_cast<char*>(der), static_cast<std::size_t>(size));
  OPENSSL_free(der);
  return result;
}

}  // namespace pysock::detail
