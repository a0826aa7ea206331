#pragma once
// The HTTP front of the service (service.h): one event loop (Boost.Asio) owns every connection, so a
// slow or idle client costs a socket and a few hundred bytes, never a thread. Requests are read with
// http_request.h's limits and deadlines that hold for the whole request; /predict bodies are parsed
// and tokenized on a small pool of request threads and classified by the batcher's inference thread,
// and the reply is written back by the loop. Pipelined requests on a connection are answered in order,
// one at a time. docs/serving.md describes the limits and what a client sees for each.
#include <cstddef>
#include <functional>
#include <string>

#include "serving/http_request.h"
#include "serving/predict_api.h"
#include "serving/service.h"

namespace bertft {

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port
  RequestLimits request;
  int max_connections = 4096;      // open at once; beyond it the oldest idle one is closed first
  double header_timeout = 10;      // seconds from a request's first byte to the end of its headers: 408
  double body_timeout = 30;        // seconds for the body once the headers are in (408), and for a reply to be taken
  double keep_alive_timeout = 30;  // seconds a connection may wait for its next request
  double shutdown_timeout = 10;    // seconds SIGTERM waits for requests in progress
  ApiDialect base_route = ApiDialect::Tei;  // what POST / speaks (--api)
  std::string cors_allow_origin;   // Access-Control-Allow-Origin on every reply; empty: none
  bool log_requests = false;       // one JSON line per request on stderr
  int request_threads = 2;         // parse and tokenize /predict bodies
};

// Blocks SIGTERM and SIGINT in the calling thread, and so in every thread it starts afterwards, so that
// serve_http's loop alone receives them; ignores SIGPIPE (a client gone mid-reply must not end the
// server). Call before any other thread exists (OpenMP's included).
void prepare_serving_signals();

// Serves until SIGTERM or SIGINT, then stops accepting, closes idle connections, answers the requests
// in progress (with Connection: close) and returns; after shutdown_timeout it closes whatever is left.
// A second signal exits the process at once. Stops the service's batcher before returning. Every reply
// is counted in `metrics`. Calls on_listening(port) once the socket is bound. Throws Error if it
// cannot listen.
void serve_http(Service& service, Metrics& metrics, const HttpOptions& options,
                const std::function<void(int port)>& on_listening);

}  // namespace bertft
