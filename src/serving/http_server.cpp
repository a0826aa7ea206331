#include "serving/http_server.h"

#include <httplib.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <thread>

#include "common/error.h"

namespace bertft {
namespace {

// cpp-httplib 0.11 listens with a backlog of 5: a burst of connections beyond it would wait for SYN
// retransmits (1 s, then 3 s, ...). Linux lets a listening socket's backlog be raised by listening again.
class Listener : public httplib::Server {
 public:
  void widen_backlog() { ::listen(svr_sock_, SOMAXCONN); }
};

const char* endpoint_label(const std::string& path) {
  for (const char* known : {"/", "/predict", "/health", "/info", "/metrics", "/openapi.json"})
    if (path == known) return known;
  return "other";  // bounded: no label per arbitrary path
}

// Set when routing starts, read when the reply is logged; both run on the request's worker thread.
thread_local std::optional<std::chrono::steady_clock::time_point> request_start;

sigset_t shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

// Each open connection is a descriptor: let the server have as many as the hard limit allows.
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

void send(httplib::Response& res, const HttpReply& reply) {
  res.status = reply.status;
  for (const auto& [name, value] : reply.headers) res.set_header(name.c_str(), value);
  res.set_content(reply.body, reply.content_type.c_str());
}

}  // namespace

void prepare_serving_signals() {
  const sigset_t set = shutdown_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

void serve_http(Service& service, Metrics& metrics, const HttpOptions& options,
                const std::function<void(int port)>& on_listening) {
  raise_descriptor_limit();
  Listener server;
  const size_t workers = static_cast<size_t>(options.workers);
  server.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
  server.set_payload_max_length(options.payload_limit);
  server.set_keep_alive_max_count(1000);
  // Replies go out as headers then body: without this, Nagle holds the body until the client's delayed
  // ACK of the headers, 40 ms per request on Linux (one client, measured: 22 requests/s, 1,143 with it).
  server.set_tcp_nodelay(true);

  const std::string payload_message = "request body is larger than the limit of " +
                                      std::to_string(options.payload_limit) + " bytes (--payload-limit)";
  // Read through a content reader: cpp-httplib 0.11 enforces the payload limit on Content-Length but
  // would buffer a chunked body of any size (measured: three 20 MB chunked bodies grew the server 157 MB).
  server.Post("/predict", [&](const httplib::Request&, httplib::Response& res, const httplib::ContentReader& read) {
    std::string body;
    bool too_large = false;
    const bool complete = read([&](const char* data, size_t n) {
      too_large = body.size() + n > options.payload_limit;
      if (!too_large) body.append(data, n);
      return !too_large;
    });
    if (complete) return send(res, service.predict(body));
    // The rest of the body is still on the connection: close it rather than read it.
    res.set_header("Connection", "close");
    if (too_large || res.status == 413) return send(res, error_reply(413, "Validation", payload_message));
    send(res, error_reply(400, "Validation", "request body could not be read"));
  });
  server.Get("/health", [&](const httplib::Request&, httplib::Response& res) { send(res, service.health()); });
  server.Get("/info", [&](const httplib::Request&, httplib::Response& res) { send(res, service.info()); });
  server.Get("/metrics", [&](const httplib::Request&, httplib::Response& res) { send(res, service.metrics()); });
  server.Get("/openapi.json", [&](const httplib::Request&, httplib::Response& res) { send(res, service.openapi()); });
  server.Get("/", [&](const httplib::Request&, httplib::Response& res) { send(res, service.index_page()); });

  // Replies the library makes itself (no route, body over the limit, unparsable request) get the JSON
  // error body too; replies our handlers made already have one.
  server.set_error_handler(httplib::Server::HandlerWithResponse([&](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    HttpReply reply;
    if (res.status == 404)
      reply = error_reply(404, "NotFound", "no endpoint " + req.method + " " + req.path +
                                               " (POST /predict, GET /, /health, /info, /metrics, /openapi.json)");
    else if (res.status == 413)
      reply = error_reply(413, "Validation", payload_message);
    else
      reply = error_reply(res.status, "Validation",
                          res.status == 400 ? "malformed HTTP request" : "HTTP status " + std::to_string(res.status));
    send(res, reply);
    return httplib::Server::HandlerResponse::Handled;
  }));
  server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr error) {
    std::string message = "internal error";
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      message += std::string(": ") + e.what();
    } catch (...) {
    }
    send(res, error_reply(500, "Backend", message));
  });
  server.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
    request_start = std::chrono::steady_clock::now();
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server.set_logger([&metrics](const httplib::Request& req, const httplib::Response& res) {
    double seconds = 0;
    if (request_start) seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - *request_start).count();
    request_start.reset();
    metrics.record_request(endpoint_label(req.path), res.status, seconds);
  });

  int port = options.port;
  if (port == 0) {
    port = server.bind_to_any_port(options.host);
    if (port < 0) throw Error("cannot listen on " + options.host + ": " + std::strerror(errno));
  } else if (!server.bind_to_port(options.host, port)) {
    throw Error("cannot listen on " + options.host + ":" + std::to_string(port) + ": " + std::strerror(errno));
  }
  server.widen_backlog();

  std::atomic<bool> finished{false};
  std::thread signal_waiter([&] {
    const sigset_t set = shutdown_signals();
    const timespec poll_interval{0, 100 * 1000 * 1000};
    while (!finished) {
      if (sigtimedwait(&set, nullptr, &poll_interval) > 0) {
        // stop() closes the listening socket; listen_after_bind() then drains the worker pool.
        server.stop();
        return;
      }
    }
  });
  on_listening(port);
  server.listen_after_bind();
  finished = true;
  signal_waiter.join();
}

}  // namespace bertft
