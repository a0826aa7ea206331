#include "serving/http_request.h"

#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <optional>

namespace bertft {

namespace http = boost::beast::http;

namespace {
// Consumed body bytes are dropped from the buffer once there are this many.
constexpr size_t kCompactAt = 64 * 1024;
}  // namespace

struct RequestReader::Parser {
  std::optional<http::request_parser<http::string_body>> beast;

  void start(const RequestLimits& limits) {
    beast.emplace();
    // Twice ours, so that our limit, which does not depend on how the bytes were split, is the one
    // that decides (Beast's counts whatever it was handed, which may end past the header).
    beast->header_limit(static_cast<std::uint32_t>(2 * limits.max_header_bytes));
    beast->body_limit(limits.max_body_bytes);
    beast->eager(true);  // parse body bytes as they come, so the buffer never holds a whole body
  }
};

RequestReader::RequestReader(const RequestLimits& limits) : limits_(limits), parser_(std::make_unique<Parser>()) {
  parser_->start(limits_);
}

RequestReader::~RequestReader() = default;

bool RequestReader::reading_body() const {
  return state_ == State::need_more && parser_->beast->is_header_done() && !parser_->beast->is_done();
}

bool RequestReader::wants_continue() const {
  if (!reading_body() || continue_sent_) return false;
  const auto& fields = parser_->beast->get();
  const auto expect = fields.find(http::field::expect);
  return expect != fields.end() && boost::beast::iequals(expect->value(), "100-continue");
}

RequestReader::State RequestReader::feed(std::string_view data) {
  if (state_ != State::need_more) return state_;
  if (!data.empty()) started_ = true;
  buffer_.append(data);
  return state_ = parse();
}

RequestReader::State RequestReader::next() {
  // The bytes of requests pipelined after the finished one stay; what it used is dropped once it is
  // at least as much as what follows, so a burst of small requests costs linear time.
  if (consumed_ >= buffer_.size() - consumed_) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
    if (buffer_.capacity() > 2 * limits_.max_header_bytes && buffer_.size() < limits_.max_header_bytes)
      buffer_.shrink_to_fit();  // a burst must not keep its peak for the connection's life
  }
  request_begin_ = consumed_;
  scanned_ = line_start_ = request_begin_;
  request_bytes_ = 0;
  on_request_line_ = true;
  headers_scanned_ = started_ = continue_sent_ = false;
  request_ = HttpRequest{};
  error_status_ = 0;
  error_message_.clear();
  parser_->start(limits_);
  started_ = buffered() > 0;
  return state_ = parse();
}

RequestReader::State RequestReader::fail(int status, std::string message) {
  error_status_ = status;
  error_message_ = std::move(message);
  return State::failed;
}

// Method and path from the request line as soon as it is in, so that a request refused before its
// headers end is still logged and counted under its route. Beast parses the line again, strictly.
void RequestReader::name_request(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const size_t method_end = line.find(' ');
  if (method_end == std::string_view::npos) return;
  const std::string_view rest = line.substr(method_end + 1);
  request_.method = std::string(line.substr(0, method_end));
  request_.target = std::string(rest.substr(0, rest.find(' ')));
  request_.path = request_.target.substr(0, request_.target.find('?'));
}

// Checks the header lines that arrived since the last call against the per-line and total limits, up
// to the blank line that ends the headers; false (after fail) when one is passed. Beast only reports
// on a header once it is complete; these limits must hold while it is still arriving, and hold the same
// however the bytes were split.
bool RequestReader::scan_header_lines() {
  const char* data = buffer_.data();
  const size_t end = buffer_.size();
  auto over_limit = [&](size_t line_end) {
    const size_t length = line_end - line_start_;  // with a '\r' if the line has one
    if (on_request_line_ && length > limits_.max_request_line)
      fail(414, "request line is longer than " + std::to_string(limits_.max_request_line) + " bytes");
    else if (!on_request_line_ && length > limits_.max_header_line)
      fail(431, "a header field is longer than " + std::to_string(limits_.max_header_line) + " bytes");
    else if (line_end - request_begin_ > limits_.max_header_bytes)
      fail(431, "request headers are larger than " + std::to_string(limits_.max_header_bytes) + " bytes");
    else
      return false;
    return true;
  };
  for (size_t p = scanned_; p < end; p++) {
    if (data[p] != '\n') continue;
    if (over_limit(p + 1)) return false;
    if (!on_request_line_ && p - line_start_ <= 1) {
      headers_scanned_ = true;
      return true;
    }
    if (on_request_line_) name_request(std::string_view(data + line_start_, p - line_start_));
    on_request_line_ = false;
    line_start_ = p + 1;
  }
  scanned_ = end;
  return !over_limit(end);
}

RequestReader::State RequestReader::parse() {
  if (!headers_scanned_ && !scan_header_lines()) return State::failed;
  auto& beast = *parser_->beast;
  while (buffered() > 0 && !beast.is_done()) {
    boost::beast::error_code ec;
    const size_t used = beast.put(boost::asio::const_buffer(buffer_.data() + consumed_, buffered()), ec);
    consumed_ += used;
    request_bytes_ += used;
    if (ec == http::error::need_more) {
      if (used == 0) break;
      continue;
    }
    if (ec == http::error::body_limit)
      return fail(413, "request body is larger than the limit of " + std::to_string(limits_.max_body_bytes) +
                           " bytes (--payload-limit)");
    if (ec == http::error::header_limit)
      return fail(431, "request headers are larger than " + std::to_string(limits_.max_header_bytes) + " bytes");
    if (ec) return fail(400, "malformed HTTP request: " + ec.message());
  }
  // A request without a body is done as soon as its header is.
  if (!beast.is_done()) {
    // Body bytes are in the parser's body once consumed: the buffer need not keep them too.
    if (headers_scanned_ && consumed_ >= kCompactAt) {
      buffer_.erase(0, consumed_);
      consumed_ = request_begin_ = 0;
    }
    return State::need_more;
  }
  auto& message = beast.get();
  request_.method = std::string(message.method_string());
  request_.target = std::string(message.target());
  request_.path = request_.target.substr(0, request_.target.find('?'));
  request_.version = static_cast<int>(message.version());
  request_.keep_alive = message.keep_alive();
  request_.user_agent = std::string(message[http::field::user_agent]);
  request_.origin = std::string(message[http::field::origin]);
  request_.body = std::move(message.body());
  return State::complete;
}

}  // namespace bertft
