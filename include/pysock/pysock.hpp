// pysock: Python's socket, io and weakref.finalize for C++20. The umbrella header.
#pragma once

#include "pysock/version.hpp"
#include "pysock/error.hpp"
#include "pysock/finalize.hpp"
