#pragma once
// Reading HTTP/1.1 requests off a connection, without the socket: bytes go in as they arrive, parsed
// requests come out, one at a time and in order (pipelined requests wait in the buffer). Parsing is
// Boost.Beast's; the limits are ours and hold for the whole request, not per read, so a client cannot
// make the server buffer more than max_header_bytes of headers or max_body_bytes of body, however it
// splits them. Memory is bounded by the limits plus one read.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace bertft {

struct RequestLimits {
  size_t max_request_line = 8 * 1024;   // longer: 414
  size_t max_header_line = 16 * 1024;   // one header field; longer: 431
  size_t max_header_bytes = 64 * 1024;  // request line and all fields; more: 431
  size_t max_body_bytes = 2000000;      // --payload-limit; more (declared or sent): 413
};

struct HttpRequest {
  std::string method;  // as sent: "GET", "POST", ...
  std::string target;  // as sent: "/predict?x=1"
  std::string path;    // target without its query
  int version = 11;    // 10 or 11
  bool keep_alive = true;
  std::string user_agent;
  std::string origin;  // the Origin header, for CORS
  std::string body;
};

class RequestReader {
 public:
  enum class State {
    need_more,   // feed more bytes
    complete,    // request() holds a whole request
    failed,      // error_status() and error_message() say why; the connection must close after the reply
  };

  explicit RequestReader(const RequestLimits& limits);
  ~RequestReader();
  RequestReader(const RequestReader&) = delete;
  RequestReader& operator=(const RequestReader&) = delete;

  // Takes `data` (what the connection just read) and parses as far as it can.
  State feed(std::string_view data);

  // After `complete`: drops that request and parses the next one from what is already buffered.
  State next();

  State state() const { return state_; }
  // No byte of the current request has arrived yet (between keep-alive requests).
  bool idle() const { return state_ == State::need_more && buffered() == 0 && !started_; }
  // The request's headers are in and it has a body still to come.
  bool reading_body() const;
  // The headers asked for "Expect: 100-continue" and the body has not started: send 100 Continue
  // (once; continue_sent() records it).
  bool wants_continue() const;
  void continue_sent() { continue_sent_ = true; }

  HttpRequest& request() { return request_; }
  int error_status() const { return error_status_; }
  const std::string& error_message() const { return error_message_; }
  // Bytes of the current request consumed so far (for the access log).
  size_t request_bytes() const { return request_bytes_; }

 private:
  struct Parser;
  size_t buffered() const { return buffer_.size() - consumed_; }
  State parse();
  State fail(int status, std::string message);
  bool scan_header_lines();
  void name_request(std::string_view line);

  RequestLimits limits_;
  std::unique_ptr<Parser> parser_;
  std::string buffer_;         // bytes read: the current request from request_begin_, then what follows
  size_t request_begin_ = 0;  // where the current request starts in buffer_ (until its body is reached)
  size_t consumed_ = 0;       // bytes of buffer_ the parser has taken
  size_t scanned_ = 0;   // bytes of buffer_ checked against the header line limits
  size_t line_start_ = 0;
  bool on_request_line_ = true;
  bool headers_scanned_ = false;
  bool started_ = false;
  bool continue_sent_ = false;
  size_t request_bytes_ = 0;
  State state_ = State::need_more;
  HttpRequest request_;
  int error_status_ = 0;
  std::string error_message_;
};

}  // namespace bertft
