#include "connection.hpp"

#include <sys/socket.h>

#include <pysock/makefile.hpp>

namespace sockcat {
namespace {

// "commonName=localhost, organizationName=pysock": a certificate name, outermost first.
std::string name_text(const pysock::peer_certificate::name& name) {
  std::string text;
  for (const auto& rdn : name)
    for (const auto& [key, value] : rdn)
      text += (text.empty() ? "" : ", ") + key + "=" + value;
  return text;
}

// "DNS:localhost, IP Address:127.0.0.1": the subjectAltName entries with Python's type names.
std::string alt_names_text(const std::vector<pysock::peer_certificate::alt_name>& names) {
  std::string text;
  for (const auto& n : names)
    text += (text.empty() ? "" : ", ") + n.type + ":" + n.value;
  return text.empty() ? "none" : text;
}

}  // namespace

connection::connection(pysock::socket sock) : sock_(std::move(sock)) {
  fd_ = std::get<pysock::socket>(sock_).fileno();
}

connection::connection(pysock::ssl_socket sock) : sock_(std::move(sock)) {
  auto& tls = std::get<pysock::ssl_socket>(sock_);
  fd_ = tls.fileno();
  tls_reader_ = tls.io_ref();
}

std::size_t connection::recv_into(std::span<std::byte> buffer) {
  if (tls_reader_) return tls_reader_->recv_into(buffer);
  return std::get<pysock::socket>(sock_).recv_into(buffer);
}

void connection::sendall(std::span<const std::byte> data) {
  std::visit([&](auto& s) { s.sendall(data); }, sock_);
}

std::uint64_t connection::sendfile(const std::filesystem::path& path, std::uint64_t offset,
                                   std::uint64_t count) {
  return std::visit([&](auto& s) { return s.sendfile(path, offset, count); }, sock_);
}

pysock::io::file connection::text_reader(const options& opt) {
  pysock::makefile_options text{
      .encoding = opt.encoding, .errors = opt.errors, .newline = opt.newline};
  return std::visit([&](auto& s) { return s.makefile("r", text); }, sock_);
}

void connection::half_close() {
  if (auto* tls = std::get_if<pysock::ssl_socket>(&sock_)) {
    // pysock (like Python) has no "close_notify, then keep reading" call: unwrap() waits for
    // the peer's close_notify, shutdown() drops TLS. close() with close_notify_on_close sends
    // ours, and tls_reader_ keeps the fd and the session for reading; the FIN follows.
    tls->close();
    if (::shutdown(fd_, SHUT_WR) != 0) pysock::raise_os_error(errno, "shutdown");
    return;
  }
  std::get<pysock::socket>(sock_).shutdown(pysock::shut::wr);
}

void connection::stop() noexcept {
  ::shutdown(fd_, SHUT_RDWR);  // errors ignored: a peer that is gone already is what we want
}

std::string connection::repr() const {
  return std::visit([](const auto& s) { return s.repr(); }, sock_);
}

void connection::describe_tls(console& out) const {
  const auto* tls = std::get_if<pysock::ssl_socket>(&sock_);
  if (!tls) return;
  auto cipher = tls->cipher();
  out.note("TLS: " + tls->version().value_or("?") + ", cipher " +
           (cipher ? cipher->name + " (" + std::to_string(cipher->secret_bits) + " bits)" : "?") +
           ", ALPN " + tls->selected_alpn_protocol().value_or("none"));
  auto cert = tls->getpeercert();
  if (!cert)
    out.note("the peer sent no certificate");
  else if (cert->empty())
    out.note("the peer's certificate was not verified (--no-ssl-verify)");
  else
    out.note("peer certificate: subject " + name_text(cert->subject) + "; subjectAltName " +
             alt_names_text(cert->subject_alt_name) + "; issuer " + name_text(cert->issuer));
}

}  // namespace sockcat
