#include "serving/http_server.h"

#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/status.hpp>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <list>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_map>

#include "common/error.h"
#include "serving/api_error.h"

namespace bertft {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

sigset_t shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

// Each open connection is a descriptor: let the server have as many as the hard limit allows.
rlim_t raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur;
}

// How long an idle keep-alive connection stays open once shutdown begins.
constexpr double kDrainGrace = 1.0;
// /predict bodies up to this size are parsed and tokenized on the loop itself (a thread hop saved).
constexpr size_t kInlineBodyBytes = 16 * 1024;
// What a closing connection reads and drops at most before it closes anyway.
constexpr size_t kLingerBytes = 1 << 20;

// A system error's message as the rest of a one-line error: "address already in use".
std::string lower_first(std::string message) {
  if (!message.empty()) message[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(message[0])));
  return message;
}

std::chrono::milliseconds seconds(double s) { return std::chrono::milliseconds(static_cast<int64_t>(s * 1000)); }

// GET (and HEAD) answered by a Service endpoint, POST by a prediction in a dialect, or both ("/").
struct Route {
  const char* path;
  HttpReply (Service::*get)() const = nullptr;
  std::optional<ApiDialect> post = std::nullopt;  // unset: the base route's dialect, when `post_base`
  bool post_base = false;
};

const Route kRoutes[] = {
    {"/", &Service::index_page, std::nullopt, true},
    {"/predict", nullptr, ApiDialect::Tei},
    {"/invocations", nullptr, ApiDialect::Tei},
    {"/health", &Service::health},
    {"/ping", &Service::health},
    {"/info", &Service::info},
    {"/metrics", &Service::metrics},
    {"/openapi.json", &Service::openapi},
};

std::string allowed_methods(const Route& route) {
  std::string allow;
  if (route.get) allow = "GET, HEAD";
  if (route.post || route.post_base) allow += allow.empty() ? "POST" : ", POST";
  return allow + ", OPTIONS";
}

const Route* find_route(const std::string& path) {
  for (const Route& route : kRoutes)
    if (path == route.path) return &route;
  return nullptr;
}

std::string iso_time_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &utc);
  char out[40];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
  return out;
}

class Connection;

class Server {
 public:
  Server(Service& service, Metrics& metrics, const HttpOptions& options)
      : service_(service), metrics_(metrics), options_(options), acceptor_(io_), signals_(io_, SIGTERM, SIGINT),
        shutdown_timer_(io_), accept_retry_(io_), pool_(static_cast<size_t>(std::max(1, options.request_threads))) {}

  int listen();
  void run();

  asio::io_context& io() { return io_; }
  Service& service() { return service_; }
  Metrics& metrics() { return metrics_; }
  const HttpOptions& options() const { return options_; }
  asio::thread_pool& pool() { return pool_; }
  bool draining() const { return draining_; }
  std::array<char, 64 * 1024>& read_buffer() { return read_buffer_; }

  void became_idle(Connection* c);
  void left_idle(Connection* c);
  void closed(Connection* c);

 private:
  void accept();
  bool make_room();
  void refuse(tcp::socket& socket);
  void wait_for_signal();
  void begin_shutdown();
  void finish_if_drained();

  Service& service_;
  Metrics& metrics_;
  HttpOptions options_;
  asio::io_context io_{1};
  tcp::acceptor acceptor_;
  asio::signal_set signals_;
  asio::steady_timer shutdown_timer_, accept_retry_;
  asio::thread_pool pool_;
  bool draining_ = false;
  bool forced_ = false;
  // Every open connection, oldest first, and the idle ones, longest idle first.
  std::list<std::shared_ptr<Connection>> open_;
  std::unordered_map<Connection*, std::list<std::shared_ptr<Connection>>::iterator> open_index_;
  std::list<Connection*> idle_;
  std::unordered_map<Connection*, std::list<Connection*>::iterator> idle_index_;
  // Only the loop reads sockets, one at a time: one buffer serves every connection.
  std::array<char, 64 * 1024> read_buffer_{};
  friend class Connection;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  enum class Phase { idle, reading, processing, writing, closing, closed };

  Connection(Server& server, tcp::socket socket)
      : server_(server), socket_(std::move(socket)), timer_(server.io()), reader_(server.options().request) {
    boost::system::error_code ec;
    const tcp::endpoint peer = socket_.remote_endpoint(ec);
    if (!ec) remote_ = peer.address().to_string() + ":" + std::to_string(peer.port());
    socket_.set_option(tcp::no_delay(true), ec);  // replies go out in one write; do not wait for an ACK
    socket_.non_blocking(true, ec);
  }

  void start() { become_idle(); }
  bool receiving_headers() const { return phase_ == Phase::reading && !reader_.reading_body(); }

  // Shutdown: an idle connection gets a short grace in which a request it sends is still answered
  // (with Connection: close), so that a client sending just as the server stops loses nothing.
  void drain_idle() { arm_timer(std::min(kDrainGrace, server_.options().shutdown_timeout)); }

  void close() {
    if (phase_ == Phase::closed) return;
    const auto self = shared_from_this();  // the server may hold the last reference
    if (phase_ == Phase::idle) server_.left_idle(this);
    phase_ = Phase::closed;
    boost::system::error_code ec;
    timer_.cancel();
    socket_.close(ec);
    server_.closed(this);
  }

 private:
  void become_idle() {
    phase_ = Phase::idle;
    server_.became_idle(this);
    arm_timer(server_.draining() ? std::min(kDrainGrace, server_.options().shutdown_timeout)
                                 : server_.options().keep_alive_timeout);
    wait_readable();
  }

  void arm_timer(double after) {
    const uint64_t generation = ++timer_generation_;
    timer_.expires_after(seconds(after));
    timer_.async_wait([self = shared_from_this(), generation](boost::system::error_code ec) {
      if (!ec && generation == self->timer_generation_) self->on_deadline();
    });
  }

  void on_deadline() {
    switch (phase_) {
      case Phase::idle:
      case Phase::closing:
      case Phase::writing:  // the client does not take its reply
        return close();
      case Phase::reading:
        return reply_error(408, reader_.reading_body() ? "request body not received within " +
                                                             format_seconds(server_.options().body_timeout)
                                                       : "request headers not received within " +
                                                             format_seconds(server_.options().header_timeout));
      case Phase::processing:
      case Phase::closed:
        return;
    }
  }

  static std::string format_seconds(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g s", s);
    return buf;
  }

  // At most one wait is outstanding; while a request is being answered nothing more is read (the
  // reply re-arms it), so pipelined requests stay in the socket until their turn.
  void wait_readable() {
    if (waiting_) return;
    waiting_ = true;
    socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](boost::system::error_code ec) {
      self->waiting_ = false;
      if (self->phase_ == Phase::closed) return;
      if (ec) return self->close();
      if (self->phase_ == Phase::closing) return self->discard_until_eof();
      if (self->phase_ == Phase::idle || self->phase_ == Phase::reading) self->on_readable();
    });
  }

  void on_readable() {
    auto& buffer = server_.read_buffer();
    // A bounded share of reading per wake-up, so one fast sender cannot hold the loop.
    for (size_t total = 0; total < 4 * buffer.size();) {
      boost::system::error_code ec;
      const size_t n = socket_.read_some(asio::buffer(buffer), ec);
      if (ec == asio::error::would_block) break;
      if (ec || n == 0) return close();  // EOF or reset: a half-sent request has no one to answer
      total += n;
      if (phase_ == Phase::idle) {
        server_.left_idle(this);
        phase_ = Phase::reading;
        request_start_ = Clock::now();
        arm_timer(server_.options().header_timeout);
      }
      const bool had_headers = reader_.reading_body();
      const RequestReader::State state = reader_.feed(std::string_view(buffer.data(), n));
      if (state == RequestReader::State::failed) return reply_error(reader_.error_status(), reader_.error_message());
      if (state == RequestReader::State::complete) return dispatch();
      if (!had_headers && reader_.reading_body()) body_started();
    }
    wait_readable();
  }

  void body_started() {
    arm_timer(server_.options().body_timeout);
    if (reader_.wants_continue()) {
      static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
      boost::system::error_code ec;
      // Interim and tiny: written at once or not at all (the client then sends its body after its own wait).
      socket_.write_some(asio::buffer(kContinue, sizeof kContinue - 1), ec);
      reader_.continue_sent();
    }
  }

  void dispatch() {
    phase_ = Phase::processing;
    ++timer_generation_;  // no deadline while the server works; the reply has its own
    timer_.cancel();
    HttpRequest& request = reader_.request();
    head_only_ = request.method == "HEAD";
    const Route* route = find_route(request.path);
    if (!route) {
      return reply(error_reply(404, "NotFound",
                               "no endpoint " + request.method + " " + request.path +
                                   " (POST /predict, /invocations, /; GET /, /health, /ping, /info, /metrics, "
                                   "/openapi.json)"));
    }
    if ((request.method == "GET" || head_only_) && route->get) return reply((server_.service().*(route->get))());
    if (request.method == "POST" && (route->post || route->post_base)) {
      const ApiDialect dialect = route->post ? *route->post : server_.options().base_route;
      const bool small = request.body.size() <= kInlineBodyBytes;
      auto predict = [self = shared_from_this(), dialect, body = std::move(request.body)]() mutable {
        self->server_.service().predict(body, dialect, [self](HttpReply r) mutable {
          // Back to the loop, which alone touches the connection's socket and state.
          asio::io_context& io = self->server_.io();
          asio::post(io, [self = std::move(self), r = std::move(r)]() mutable { self->reply(std::move(r)); });
        });
      };
      // A small body is parsed and tokenized at once, in well under a millisecond; a large batch may
      // take much longer, and goes to the request threads so the loop stays responsive.
      if (small) predict();
      else asio::post(server_.pool(), std::move(predict));
      return;
    }
    if (request.method == "OPTIONS") {
      HttpReply reply{204, "", ""};
      reply.headers.emplace_back("Allow", allowed_methods(*route));
      if (!server_.options().cors_allow_origin.empty()) {
        reply.headers.emplace_back("Access-Control-Allow-Methods", allowed_methods(*route));
        reply.headers.emplace_back("Access-Control-Allow-Headers", "Content-Type, Authorization");
        reply.headers.emplace_back("Access-Control-Max-Age", "600");
      }
      return this->reply(std::move(reply));
    }
    HttpReply refused = error_reply(405, "Validation",
                                    "method " + request.method + " is not allowed on " + request.path + " (allowed: " +
                                        allowed_methods(*route) + ")");
    refused.headers.emplace_back("Allow", allowed_methods(*route));
    reply(std::move(refused));
  }

  // A reply to a request the reader refused or that ran out of time: the rest of it may still be on
  // the connection, so the connection closes after.
  void reply_error(int status, const std::string& message) {
    phase_ = Phase::processing;
    must_close_ = true;
    reply(error_reply(status, status == 408 ? "Timeout" : "Validation", message));
  }

  void reply(HttpReply r) {
    if (phase_ == Phase::closed) return;
    const HttpRequest& request = reader_.request();
    if (reader_.state() == RequestReader::State::complete && !request.keep_alive) must_close_ = true;
    if (server_.draining()) must_close_ = true;
    status_ = r.status;
    out_.clear();
    out_ += "HTTP/1.1 " + std::to_string(r.status) + " " +
            std::string(boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(r.status))) + "\r\n";
    if (!r.content_type.empty()) out_ += "Content-Type: " + r.content_type + "\r\n";
    if (r.status != 204) out_ += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
    for (const auto& [name, value] : r.headers) out_ += name + ": " + value + "\r\n";
    if (const std::string& origin = server_.options().cors_allow_origin; !origin.empty()) {
      out_ += "Access-Control-Allow-Origin: " + origin + "\r\n";
      if (origin != "*") out_ += "Vary: Origin\r\n";
    }
    out_ += must_close_ ? "Connection: close\r\n\r\n" : "Connection: keep-alive\r\n\r\n";
    if (!head_only_) out_ += r.body;
    phase_ = Phase::writing;
    arm_timer(server_.options().body_timeout);
    asio::async_write(socket_, asio::buffer(out_), [self = shared_from_this()](boost::system::error_code ec, size_t) {
      self->written(ec);
    });
  }

  void written(boost::system::error_code ec) {
    if (phase_ == Phase::closed) return;
    log_request();
    if (ec) return close();
    head_only_ = false;
    out_.clear();
    out_.shrink_to_fit();  // a large reply must not stay with an idle connection
    if (must_close_) return close_gracefully();
    switch (reader_.next()) {
      case RequestReader::State::complete:
        return dispatch();  // pipelined: already here
      case RequestReader::State::failed:
        return reply_error(reader_.error_status(), reader_.error_message());
      case RequestReader::State::need_more:
        break;
    }
    if (reader_.idle()) return become_idle();
    phase_ = Phase::reading;
    request_start_ = Clock::now();
    arm_timer(reader_.reading_body() ? server_.options().body_timeout : server_.options().header_timeout);
    wait_readable();
  }

  void log_request() {
    const HttpRequest& request = reader_.request();
    const std::string& path = request.path;
    const Route* route = find_route(path);
    const double elapsed = std::chrono::duration<double>(Clock::now() - request_start_).count();
    server_.metrics().record_request(route ? route->path : "other", status_, elapsed);
    if (!server_.options().log_requests) return;
    const nlohmann::json line = {
        {"time", iso_time_now()},       {"remote", remote_},         {"method", request.method},
        {"path", path},                 {"status", status_},         {"request_bytes", reader_.request_bytes()},
        {"response_bytes", out_.size()}, {"seconds", elapsed},        {"user_agent", request.user_agent},
    };
    const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    std::fwrite(text.data(), 1, text.size(), stderr);
  }

  // After a last reply: stop sending, then read and drop what the client still sends until it closes
  // (or a second passes, or a megabyte came), so that closing does not reset the connection under a
  // reply it has not read.
  void close_gracefully() {
    phase_ = Phase::closing;
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    arm_timer(1.0);
    discarded_ = 0;
    discard_until_eof();
  }

  void discard_until_eof() {
    auto& buffer = server_.read_buffer();
    while (discarded_ < kLingerBytes) {
      boost::system::error_code ec;
      const size_t n = socket_.read_some(asio::buffer(buffer), ec);
      if (ec == asio::error::would_block) return wait_readable();
      if (ec || n == 0) break;
      discarded_ += n;
    }
    close();
  }

  Server& server_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  uint64_t timer_generation_ = 0;
  RequestReader reader_;
  Phase phase_ = Phase::idle;
  std::string remote_;
  std::string out_;
  int status_ = 0;
  bool must_close_ = false;
  bool head_only_ = false;
  bool waiting_ = false;
  size_t discarded_ = 0;
  Clock::time_point request_start_ = Clock::now();
};

int Server::listen() {
  boost::system::error_code ec;
  const std::string where = options_.host + ":" + std::to_string(options_.port);
  tcp::resolver resolver(io_);
  const auto endpoints = resolver.resolve(options_.host, std::to_string(options_.port),
                                          tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty())
    throw Error("cannot listen on " + where + ": " + (ec ? lower_first(ec.message()) : "no address"));
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  acceptor_.open(endpoint.protocol(), ec);
  // SO_REUSEADDR only lets a restarted server bind while old connections linger in TIME_WAIT; unlike
  // SO_REUSEPORT it never lets a second server share a port that is in use.
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw Error("cannot listen on " + where + ": " + lower_first(ec.message()));
  acceptor_.non_blocking(true, ec);
  return acceptor_.local_endpoint().port();
}

void Server::accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (draining_) return;
    if (ec) {
      // Out of descriptors (or a transient error): retry shortly rather than spin.
      accept_retry_.expires_after(std::chrono::milliseconds(50));
      accept_retry_.async_wait([this](boost::system::error_code e) {
        if (!e && !draining_) accept();
      });
      return;
    }
    if (!make_room()) {
      refuse(socket);
      return accept();
    }
    auto connection = std::make_shared<Connection>(*this, std::move(socket));
    open_.push_back(connection);
    open_index_[connection.get()] = std::prev(open_.end());
    connection->start();
    accept();
  });
}

// At --max-connections, a new connection takes the place of the one that has waited longest for its
// next request, or failing that of the oldest still sending its headers; connections whose requests
// are being answered are never cut. False when every connection is busy with a request.
bool Server::make_room() {
  if (static_cast<int>(open_.size()) < options_.max_connections) return true;
  if (!idle_.empty()) {
    idle_.front()->close();
    return true;
  }
  for (const auto& c : open_)
    if (c->receiving_headers()) {
      c->close();
      return true;
    }
  return false;
}

// A connection there is no room for: a 503 if the socket takes it at once, then closed.
void Server::refuse(tcp::socket& socket) {
  static const std::string reply = [] {
    const std::string body = error_body("Overloaded", "the server has --max-connections connections, all busy; retry later");
    return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  }();
  boost::system::error_code ec;
  socket.non_blocking(true, ec);
  socket.write_some(asio::buffer(reply), ec);
  socket.close(ec);
}

void Server::became_idle(Connection* c) {
  idle_.push_back(c);
  idle_index_[c] = std::prev(idle_.end());
}

void Server::left_idle(Connection* c) {
  const auto it = idle_index_.find(c);
  if (it == idle_index_.end()) return;
  idle_.erase(it->second);
  idle_index_.erase(it);
}

void Server::closed(Connection* c) {
  const auto it = open_index_.find(c);
  if (it == open_index_.end()) return;
  // The connection may be in the middle of a call: it keeps itself alive through its handlers.
  open_.erase(it->second);
  open_index_.erase(it);
  finish_if_drained();
}

void Server::wait_for_signal() {
  signals_.async_wait([this](boost::system::error_code ec, int signal) {
    if (ec) return;
    if (draining_) {
      std::fprintf(stderr, "bertft: notice: second %s: exiting now\n", signal == SIGINT ? "SIGINT" : "SIGTERM");
      std::fflush(stderr);
      std::_Exit(128 + signal);
    }
    begin_shutdown();
    wait_for_signal();
  });
}

void Server::begin_shutdown() {
  draining_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  accept_retry_.cancel();
  std::fprintf(stderr, "bertft: notice: stopping: %zu connections open, %zu of them idle; waiting at most %g s\n",
               open_.size(), idle_.size(), options_.shutdown_timeout);
  std::fflush(stderr);
  const std::vector<Connection*> idle(idle_.begin(), idle_.end());
  for (Connection* c : idle) c->drain_idle();
  shutdown_timer_.expires_after(seconds(options_.shutdown_timeout));
  shutdown_timer_.async_wait([this](boost::system::error_code e) {
    if (e) return;
    forced_ = true;
    std::fprintf(stderr, "bertft: notice: --shutdown-timeout reached: closing %zu connections\n", open_.size());
    const std::vector<std::shared_ptr<Connection>> left(open_.begin(), open_.end());
    for (const auto& c : left) c->close();
    io_.stop();
  });
  finish_if_drained();
}

void Server::finish_if_drained() {
  if (draining_ && open_.empty()) io_.stop();
}

void Server::run() {
  // Only this thread takes the shutdown signals: every other thread was started with them blocked.
  const sigset_t set = shutdown_signals();
  wait_for_signal();
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  accept();
  io_.run();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // Requests still queued after a forced stop are dropped; otherwise there are none.
  service_.stop(!forced_);
  pool_.join();
  const std::vector<std::shared_ptr<Connection>> left(open_.begin(), open_.end());
  for (const auto& c : left) c->close();
  std::fprintf(stderr, forced_ ? "bertft: notice: stopped: requests still in progress were dropped\n"
                               : "bertft: notice: stopped: every accepted request answered\n");
}

}  // namespace

void prepare_serving_signals() {
  const sigset_t set = shutdown_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

void serve_http(Service& service, Metrics& metrics, const HttpOptions& options,
                const std::function<void(int port)>& on_listening) {
  const rlim_t descriptors = raise_descriptor_limit();
  HttpOptions checked = options;
  // Room for the model's files, the listening socket and the pools besides the connections.
  const auto reserved = static_cast<rlim_t>(64);
  if (descriptors < reserved + static_cast<rlim_t>(options.max_connections)) {
    checked.max_connections = static_cast<int>(descriptors > 2 * reserved ? descriptors - reserved : reserved);
    std::fprintf(stderr, "bertft: notice: --max-connections %d is more than this process may open (%llu descriptors); using %d\n",
                 options.max_connections, static_cast<unsigned long long>(descriptors), checked.max_connections);
  }
  Server server(service, metrics, checked);
  on_listening(server.listen());
  server.run();
}

}  // namespace bertft
