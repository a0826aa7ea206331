// libFuzzer target: the HTTP request reader (serving/http_request.h) on arbitrary bytes, split into
// reads at places the input chooses, with small limits so that every limit is reached. Beyond "no
// crash, no sanitizer report" it checks that a refusal has a 4xx status and a one-line message, that a
// complete request's body is within the payload limit, and that the same bytes read in one piece
// give the same requests. (Where the bytes end inside a malformed header, one reading may refuse it
// already and the other still wait for its end: Beast checks a header eagerly only when it has no
// earlier part of it; either way the request is never accepted.)
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "serving/http_request.h"

using namespace bertft;

namespace {

constexpr RequestLimits kLimits{.max_request_line = 64, .max_header_line = 96, .max_header_bytes = 512,
                                .max_body_bytes = 256};

// Every request the reader gets from `reads`, as "METHOD TARGET body" lines.
std::string read_all(const std::vector<std::string_view>& reads) {
  RequestReader reader(kLimits);
  std::string out;
  auto drain = [&](RequestReader::State state) {
    while (state == RequestReader::State::complete) {
      const HttpRequest& r = reader.request();
      if (r.body.size() > kLimits.max_body_bytes) __builtin_trap();
      out += r.method + " " + r.target + " " + r.body + "\n";
      state = reader.next();
    }
    if (state == RequestReader::State::failed) {
      if (reader.error_status() < 400 || reader.error_status() > 499) __builtin_trap();
      if (reader.error_message().find('\n') != std::string::npos) __builtin_trap();
      return false;
    }
    return true;
  };
  for (std::string_view read : reads)
    if (!drain(reader.feed(read))) break;
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // The first byte sets the read size (1..32 bytes); the rest is the connection's byte stream.
  const size_t step = 1 + data[0] % 32;
  const std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  std::vector<std::string_view> pieces;
  for (size_t at = 0; at < stream.size(); at += step) pieces.push_back(stream.substr(at, step));
  const std::string piecewise = read_all(pieces);
  const std::string whole = read_all({stream});
  // The limits hold for the whole request, however it is split: the outcome cannot depend on it.
  if (piecewise != whole) __builtin_trap();
  return 0;
}
