#pragma once
// Helpers shared by the unit tests.
#include <gtest/gtest.h>

#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "common/error.h"
#include "model/config.h"

namespace bertft::test {

// The message of the Error f() throws; "" when it throws none.
template <typename F>
std::string thrown_error(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// The message of the Error f() throws, which must be one line; a test failure if it throws none.
template <class F>
std::string one_line_error(F f) {
  try {
    f();
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    return message;
  }
  ADD_FAILURE() << "no error";
  return "";
}

// `expr` throws a one-line Error whose message contains `fragment`.
#define EXPECT_ERROR(expr, fragment)                                                                \
  EXPECT_NE(::bertft::test::one_line_error([&] { expr; }).find(fragment), std::string::npos) \
      << ::bertft::test::one_line_error([&] { expr; })

// The processor time the calling thread spends in f(), in seconds, the least of `runs` calls. Unlike
// wall time it does not grow while other work has the CPU, so a test of how time scales with input
// measures the code, not the machine's load; a first call may also pay for memory the allocator has
// yet to get from the system. For code that runs on the calling thread only.
template <class F>
double cpu_seconds(F f, int runs = 1) {
  double best = 1e300;
  for (int run = 0; run < runs; run++) {
    timespec start{}, end{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start);
    f();
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end);
    best = std::min(best, static_cast<double>(end.tv_sec - start.tv_sec) +
                              1e-9 * static_cast<double>(end.tv_nsec - start.tv_nsec));
  }
  return best;
}

// `s` with its first `from` replaced by `to` (a test failure if there is none).
inline std::string replaced(std::string s, const std::string& from, const std::string& to) {
  size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? s : s.replace(at, from.size(), to);
}

// A ModelConfig small enough for exhaustive checks: vocabulary 40, hidden 8, 2 heads, FFN 16.
inline ModelConfig tiny_config(int layers = 2) {
  ModelConfig c;
  c.vocab_size = 40;
  c.hidden_size = 8;
  c.num_hidden_layers = layers;
  c.num_attention_heads = 2;
  c.intermediate_size = 16;
  c.max_position_embeddings = 12;
  return c;
}

// n normal(0, scale) floats, reproducible from seed.
inline std::vector<float> random_vector(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

inline std::vector<double> to_double(const std::vector<float>& v) { return {v.begin(), v.end()}; }

// LayerNorm over each of rows rows of H values, in double.
inline std::vector<double> naive_layernorm(const std::vector<double>& x, const std::vector<double>& w,
                                           const std::vector<double>& b, int64_t rows, int64_t H, double eps) {
  std::vector<double> out(x.size());
  for (int64_t r = 0; r < rows; r++) {
    double mean = 0, var = 0;
    for (int64_t i = 0; i < H; i++) mean += x[r * H + i];
    mean /= H;
    for (int64_t i = 0; i < H; i++) var += (x[r * H + i] - mean) * (x[r * H + i] - mean);
    var /= H;
    for (int64_t i = 0; i < H; i++) out[r * H + i] = (x[r * H + i] - mean) / std::sqrt(var + eps) * w[i] + b[i];
  }
  return out;
}

}  // namespace bertft::test
