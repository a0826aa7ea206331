// The HTTP request reader (serving/http_request.h): requests split anyhow across reads, pipelined
// requests in order, chunked bodies, and each limit refusing with its status however the bytes arrive.
#include <gtest/gtest.h>

#include <string>

#include "serving/http_request.h"
#include "test_util.h"

namespace bertft {
namespace {

using State = RequestReader::State;

// Feeds `bytes` `step` at a time; returns the state after the last read that changed it from need_more.
State feed_in_steps(RequestReader& reader, const std::string& bytes, size_t step) {
  State state = State::need_more;
  for (size_t at = 0; at < bytes.size() && state == State::need_more; at += step)
    state = reader.feed(std::string_view(bytes).substr(at, step));
  return state;
}

TEST(HttpRequest, ARequestSplitAnyhowReadsTheSame) {
  const std::string bytes =
      "POST /predict?x=1 HTTP/1.1\r\nHost: a\r\nUser-Agent: t/1\r\nContent-Length: 16\r\n\r\n{\"inputs\": \"hi\"}";
  for (size_t step : {size_t{1}, size_t{2}, size_t{7}, bytes.size()}) {
    RequestReader reader({});
    ASSERT_EQ(feed_in_steps(reader, bytes, step), State::complete) << step;
    const HttpRequest& r = reader.request();
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/predict?x=1");
    EXPECT_EQ(r.path, "/predict");
    EXPECT_EQ(r.user_agent, "t/1");
    EXPECT_EQ(r.body, "{\"inputs\": \"hi\"}");
    EXPECT_TRUE(r.keep_alive);
    EXPECT_EQ(reader.request_bytes(), bytes.size());
  }
}

// Headers arriving a field at a time stay within the limits however long they take (the deadline is
// the server's), and the request is named from its first line before the headers end.
TEST(HttpRequest, HeadersArrivingAFieldAtATime) {
  RequestReader reader({.max_header_line = 64, .max_header_bytes = 4096});
  EXPECT_EQ(reader.feed("GET /health?q HTTP/1.1\r\nHost: x\r\n"), State::need_more);
  EXPECT_EQ(reader.request().path, "/health");
  for (int i = 0; i < 100; i++) ASSERT_EQ(reader.feed("X-Trickle: " + std::to_string(i) + "\r\n"), State::need_more) << i;
  EXPECT_EQ(reader.feed("\r\n"), State::complete);
  EXPECT_EQ(reader.request().target, "/health?q");
}

TEST(HttpRequest, PipelinedRequestsComeOutInOrder) {
  RequestReader reader({});
  std::string bytes;
  for (int i = 0; i < 6; i++) bytes += "GET /health" + std::to_string(i) + " HTTP/1.1\r\n\r\n";
  bytes += "GET /half";  // the start of a seventh
  State state = reader.feed(bytes);
  for (int i = 0; i < 6; i++) {
    ASSERT_EQ(state, State::complete) << i;
    EXPECT_EQ(reader.request().path, "/health" + std::to_string(i));
    state = reader.next();
  }
  EXPECT_EQ(state, State::need_more);
  EXPECT_FALSE(reader.idle());
  EXPECT_EQ(reader.feed(" HTTP/1.0\r\n\r\n"), State::complete);
  EXPECT_FALSE(reader.request().keep_alive);  // HTTP/1.0 without keep-alive
  EXPECT_EQ(reader.next(), State::need_more);
  EXPECT_TRUE(reader.idle());
}

// 20,000 small requests in one read come out in order, in time linear in their number.
TEST(HttpRequest, ABurstOfPipelinedRequests) {
  auto seconds_for = [](int n) {
    std::string bytes;
    for (int i = 0; i < n; i++) bytes += "GET /" + std::to_string(i) + " HTTP/1.1\r\n\r\n";
    RequestReader reader({});
    return test::cpu_seconds([&] {
      State state = reader.feed(bytes);
      for (int i = 0; i < n; i++) {
        EXPECT_EQ(state, State::complete);
        if (reader.request().path != "/" + std::to_string(i)) ADD_FAILURE() << i << ": " << reader.request().path;
        state = reader.next();
      }
      EXPECT_TRUE(reader.idle());
    });
  };
  const double small = seconds_for(2500), large = seconds_for(20000);
  EXPECT_LT(large, 25 * small + 0.01) << small << " s for 2,500 requests, " << large << " s for 20,000";
}

TEST(HttpRequest, ChunkedBodiesAndExpectContinue) {
  RequestReader reader({});
  EXPECT_EQ(reader.feed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"), State::need_more);
  EXPECT_TRUE(reader.reading_body());
  EXPECT_TRUE(reader.wants_continue());
  reader.continue_sent();
  EXPECT_FALSE(reader.wants_continue());
  EXPECT_EQ(feed_in_steps(reader, "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", 3), State::complete);
  EXPECT_EQ(reader.request().body, "hello world");
}

struct Refusal {
  std::string bytes;
  int status;
};

TEST(HttpRequest, EveryLimitHoldsForTheWholeRequest) {
  const RequestLimits limits{.max_request_line = 100, .max_header_line = 200, .max_header_bytes = 1000,
                             .max_body_bytes = 50};
  std::string many_fields = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 20; i++) many_fields += "X-Field-" + std::to_string(i) + ": " + std::string(60, 'v') + "\r\n";
  const Refusal refusals[] = {
      {"GET /" + std::string(200, 'a'), 414},                           // no newline needed to know
      {"GET / HTTP/1.1\r\nX-Long: " + std::string(300, 'b'), 431},      // one field too long
      {many_fields, 431},                                               // too many fields
      {"POST / HTTP/1.1\r\nContent-Length: 51\r\n\r\n", 413},           // declared: refused before the body
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n" + std::string(32, 'c') + "\r\n20\r\n" +
           std::string(32, 'c') + "\r\n",
       413},                                                            // sent: refused at the limit
      {"NOT HTTP AT ALL\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n", 400},
  };
  for (const Refusal& r : refusals) {
    for (size_t step : {size_t{1}, size_t{13}, r.bytes.size()}) {
      RequestReader reader(limits);
      EXPECT_EQ(feed_in_steps(reader, r.bytes, step), State::failed) << r.bytes.substr(0, 40) << " step " << step;
      EXPECT_EQ(reader.error_status(), r.status) << r.bytes.substr(0, 40) << ": " << reader.error_message();
      EXPECT_EQ(reader.error_message().find('\n'), std::string::npos);
    }
  }
}

// A trickle of header bytes costs time in proportion to the bytes: no rescanning of what came before.
TEST(HttpRequest, ReadingIsLinearInTheBytes) {
  auto seconds_for = [](size_t fields) {
    std::string bytes = "GET / HTTP/1.1\r\n";
    for (size_t i = 0; i < fields; i++) bytes += "X: " + std::string(40, 'v') + "\r\n";
    bytes += "\r\n";
    RequestReader reader({.max_header_bytes = bytes.size() + 1});
    return test::cpu_seconds([&] { EXPECT_EQ(feed_in_steps(reader, bytes, 1), State::complete); });
  };
  const double small = seconds_for(1000), large = seconds_for(8000);
  // 8x the bytes: linear is about 8x, quadratic 64x.
  EXPECT_LT(large, 25 * small + 0.01) << small << " s for 1,000 fields, " << large << " s for 8,000";
}

}  // namespace
}  // namespace bertft
