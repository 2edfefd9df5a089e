// Errors as sockcat reports them: "<what it was doing> failed: <why>".
#pragma once

#include <stdexcept>
#include <string>

#include "console.hpp"

namespace sockcat {

// A failure whose message already says what sockcat was doing.
class failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Runs `step` and returns its result; an exception becomes failure("<what> failed: <why>").
template <typename Step>
auto attempt(const std::string& what, Step&& step) {
  try {
    return step();
  } catch (const failure&) {
    throw;
  } catch (const std::exception& e) {
    throw failure(what + " failed: " + describe(e));
  }
}

}  // namespace sockcat
