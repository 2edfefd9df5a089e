// makefile(): the mode and buffering rules of socket.makefile, and socket::makefile.
#include "pysock/makefile.hpp"

#include "pysock/io/text.hpp"
#include "pysock/socket.hpp"

namespace pysock {

namespace detail {

makefile_mode parse_makefile_mode(std::string_view mode) {
  if (mode.find_first_not_of("rwb") != std::string_view::npos) {
    throw value_error("invalid mode '" + std::string(mode) + "' (only r, w, b allowed)");
  }
  makefile_mode parsed;
  parsed.writing = mode.find('w') != std::string_view::npos;
  parsed.reading = mode.find('r') != std::string_view::npos || !parsed.writing;
  parsed.binary = mode.find('b') != std::string_view::npos;
  if (parsed.reading) parsed.raw_mode += 'r';
  if (parsed.writing) parsed.raw_mode += 'w';
  return parsed;
}

io::file build_makefile(std::unique_ptr<io::raw_io> raw, const makefile_mode& parsed,
                        std::string_view mode, const makefile_options& options) {
  int buffering = options.buffering.value_or(-1);
  if (buffering < 0) buffering = int(io::default_buffer_size);
  if (buffering == 0) {
    if (!parsed.binary) throw value_error("unbuffered streams must be binary");
    return io::file(std::move(raw));
  }
  std::shared_ptr<io::raw_io> shared(std::move(raw));
  auto size = std::size_t(buffering);
  std::unique_ptr<io::io_base> buffer;
  if (parsed.reading && parsed.writing) {
    buffer = std::make_unique<io::buffered_rw_pair>(shared, shared, size);
  } else if (parsed.reading) {
    buffer = std::make_unique<io::buffered_reader>(shared, size);
  } else {
    buffer = std::make_unique<io::buffered_writer>(shared, size);
  }
  if (parsed.binary) return io::file(std::move(buffer));
  auto text = std::make_unique<io::text_io_wrapper>(
      std::move(buffer), options.encoding.value_or("utf-8"), options.errors, options.newline);
  text->set_mode(std::string(mode));
  return io::file(std::move(text));
}

}  // namespace detail

io::file socket::makefile(std::string_view mode, makefile_options options) {
  return pysock::makefile(*this, mode, std::move(options));
}

io::file socket::makefile(std::string_view mode) {
  return pysock::makefile(*this, mode);
}

}  // namespace pysock
