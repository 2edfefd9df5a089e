// pysock: Python's socket, io and weakref.finalize for C++20. The umbrella header.
#pragma once

#include "pysock/address.hpp"
#include "pysock/error.hpp"
#include "pysock/io/codec.hpp"
#include "pysock/socket.hpp"
#include "pysock/version.hpp"
