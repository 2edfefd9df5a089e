// pysock: Python's socket, io and weakref.finalize for C++20. The umbrella header.
#pragma once

#include "pysock/address.hpp"
#include "pysock/error.hpp"
#include "pysock/finalize.hpp"
#include "pysock/io/buffered.hpp"
#include "pysock/io/codec.hpp"
#include "pysock/io/file.hpp"
#include "pysock/io/raw.hpp"
#include "pysock/io/streambuf.hpp"
#include "pysock/io/text.hpp"
#include "pysock/makefile.hpp"
#include "pysock/net.hpp"
#include "pysock/selectors.hpp"
#include "pysock/socket.hpp"
#include "pysock/version.hpp"
