#pragma once
// A request the server refuses: the HTTP status and the body Text Embeddings Inference clients expect,
// {"error": MESSAGE, "error_type": TYPE}, TYPE being one of TEI's ErrorType names (Validation,
// Overloaded, Empty, Backend), NotFound for a route that does not exist, or Timeout for a request not
// received within its deadline.
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace bertft {

struct ApiError : std::runtime_error {
  ApiError(int status, std::string type, const std::string& message)
      : std::runtime_error(message), status(status), type(std::move(type)) {}
  int status;
  std::string type;
};

// The JSON body of an error reply. Invalid UTF-8 (a message quoting the client's bytes) becomes U+FFFD
// rather than an exception.
inline std::string error_body(const std::string& type, const std::string& message) {
  return nlohmann::json{{"error", message}, {"error_type", type}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace bertft
