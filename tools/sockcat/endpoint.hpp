// Getting a connected socket: connecting to a peer, or listening and accepting one.
#pragma once

#include <pysock/socket.hpp>

#include "console.hpp"
#include "failure.hpp"
#include "options.hpp"

namespace sockcat {

// The connected socket, blocking (-w only bounds the connect). Throws failure.
pysock::socket connect(const options& opt, console& out);

// The listening socket: dual-stack when no HOST is given and the system has it. A filesystem
// Unix socket it created is removed when the socket goes away. Throws failure.
pysock::socket listen(const options& opt, console& out);

// The next client of `server`, blocking (-w only bounds the wait for it). Throws failure.
pysock::socket accept(pysock::socket& server, console& out);

}  // namespace sockcat
