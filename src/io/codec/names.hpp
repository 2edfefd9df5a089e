// The names CPython 3.13's namereplace error handler writes: unicodedata's (Unicode 15.1), and
// CPython's aliases and named sequences at the private-use code points U+F0000..U+F03CC where it
// keeps them (U+F0000 is \N{NULL}). Internal.
#pragma once

#include <string>

namespace pysock::io::detail {

// The character's name, or an empty string when it has none (unassigned code points, controls,
// surrogates, most of private use).
std::string character_name(char32_t c);

}  // namespace pysock::io::detail
