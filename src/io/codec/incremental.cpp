// incremental_decoder and incremental_encoder: a failed call leaves the output as it was.
#include <string>

#include "pysock/io/codec.hpp"

namespace pysock::io {

incremental_decoder::incremental_decoder(std::string_view codec_name, std::string_view errors)
    : codec_name_(codec_name), errors_(errors) {}

void incremental_decoder::decode(std::string_view input, std::string& out, bool final) {
  const std::size_t mark = out.size();
  try {
    do_decode(input, out, final);
  } catch (...) {
    out.resize(mark);
    throw;
  }
}

std::string incremental_decoder::decode(std::string_view input, bool final) {
  std::string out;
  decode(input, out, final);
  return out;
}

incremental_encoder::incremental_encoder(std::string_view codec_name, std::string_view errors)
    : codec_name_(codec_name), errors_(errors) {}

void incremental_encoder::encode(std::string_view text, std::string& out, bool final) {
  const std::size_t mark = out.size();
  try {
    do_encode(text, out, final);
  } catch (...) {
    out.resize(mark);
    throw;
  }
}

std::string incremental_encoder::encode(std::string_view text, bool final) {
  std::string out;
  encode(text, out, final);
  return out;
}

}  // namespace pysock::io
