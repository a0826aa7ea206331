#pragma once
// The HTTP front of the service (service.h), on cpp-httplib: a listening thread accepts connections and
// a pool of worker threads reads requests and runs the handlers, which block while their inputs are
// classified, so inference never stops the server from accepting.
#include <cstddef>
#include <functional>
#include <string>

#include "serving/service.h"

namespace bertft {

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port
  size_t payload_limit = 2000000;  // request body bytes; more get 413
  int workers = 64;  // connections served at once; more wait in the accept queue
};

// Blocks SIGTERM and SIGINT in the calling thread, and so in every thread it starts afterwards, so that
// serve_http alone receives them; ignores SIGPIPE (a client gone mid-reply must not end the server).
// Call before any other thread exists (OpenMP's included).
void prepare_serving_signals();

// Serves until SIGTERM or SIGINT, then stops accepting, answers every request already accepted and
// returns. Every reply is counted in `metrics`, including those the HTTP library makes itself (no route,
// body too large). Calls on_listening(port) once the socket is bound. Throws Error if it cannot bind.
void serve_http(Service& service, Metrics& metrics, const HttpOptions& options,
                const std::function<void(int port)>& on_listening);

}  // namespace bertft
