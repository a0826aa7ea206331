#pragma once
// One exception type for every user-facing failure. The message is a single line that names the
// file (and line / field where known) and the problem; main() prints it and exits non-zero.
#include <stdexcept>
#include <string>

namespace bertft {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// "path: message", the shape of every file-related error.
[[noreturn]] inline void fail_file(const std::string& path, const std::string& message) {
  throw Error(path + ": " + message);
}

}  // namespace bertft
