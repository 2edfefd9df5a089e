#include "pysock/ssl.hpp"
