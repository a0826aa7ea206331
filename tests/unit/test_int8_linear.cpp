// The int8 Linear product against its definition computed here in doubles: the quantization steps as
// documented in kernels/int8_linear.h, and the dequantized product against the fp32 product.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "kernels/int8_linear.h"

namespace bertft {
namespace {

std::vector<float> random_values(size_t n, float lo, float hi, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

TEST(Int8Linear, WeightQuantizationIsSymmetricPerOutputChannel) {
  const int64_t N = 5, K = 33;
  std::vector<float> w = random_values(N * K, -0.2f, 0.2f, 1);
  std::fill(w.begin() + 3 * K, w.begin() + 4 * K, 0.0f);  // an all-zero row
  std::vector<int8_t> q(N * K);
  std::vector<float> scale(N);
  quantize_weight_per_channel(q.data(), scale.data(), w.data(), N, K);
  for (int64_t n = 0; n < N; n++) {
    float max_abs = 0;
    for (int64_t k = 0; k < K; k++) max_abs = std::max(max_abs, std::fabs(w[n * K + k]));
    EXPECT_FLOAT_EQ(scale[n], n == 3 ? 1.0f : max_abs / 127.0f);
    for (int64_t k = 0; k < K; k++) {
      EXPECT_LE(std::abs(q[n * K + k]), 127);
      EXPECT_NEAR(q[n * K + k] * scale[n], w[n * K + k], 0.5 * scale[n] + 1e-7);
    }
  }
}

TEST(Int8Linear, RowQuantizationCoversEachRowsRangeAndZero) {
  const int64_t M = 4, K = 40;
  std::vector<float> x = random_values(M * K, -1.0f, 3.0f, 2);
  std::fill(x.begin() + K, x.begin() + 2 * K, 0.0f);               // all zero
  for (int64_t k = 0; k < K; k++) x[2 * K + k] = 0.5f + k * 0.01f;  // all positive: range starts at 0
  std::vector<uint8_t> values(M * K);
  std::vector<float> scales(M);
  std::vector<int32_t> zeros(M);
  quantize_rows({values.data(), scales.data(), zeros.data()}, x.data(), M, K);
  for (int64_t m = 0; m < M; m++) {
    EXPECT_GE(zeros[m], 0);
    EXPECT_LE(zeros[m], 255);
    for (int64_t k = 0; k < K; k++)
      EXPECT_NEAR((values[m * K + k] - zeros[m]) * scales[m], x[m * K + k], 0.5 * scales[m] + 1e-6) << m << "," << k;
  }
  EXPECT_EQ(zeros[2], 0);
  EXPECT_EQ(values[2 * K + K - 1], 255);
}

// Shapes that are not multiples of any vector width or block size a kernel might use.
TEST(Int8Linear, ForwardEqualsDequantizedProductAndStaysNearFp32) {
  for (auto [M, N, K] : {std::tuple<int64_t, int64_t, int64_t>{1, 1, 1}, {7, 19, 45}, {33, 70, 768}, {130, 3072, 64}}) {
    std::vector<float> x = random_values(M * K, -2.0f, 2.0f, 3), w = random_values(N * K, -0.1f, 0.1f, 4),
                       bias = random_values(N, -1.0f, 1.0f, 5);
    std::vector<int8_t> q(N * K);
    std::vector<float> scale(N);
    quantize_weight_per_channel(q.data(), scale.data(), w.data(), N, K);
    const Int8Weight weight(q.data(), scale.data(), N, K);
    std::vector<uint8_t> values(M * K);
    std::vector<float> row_scales(M), out(M * N);
    std::vector<int32_t> zeros(M);
    const QuantizedRows scratch{values.data(), row_scales.data(), zeros.data()};
    int8_linear_forward(out.data(), x.data(), weight, bias.data(), M, scratch);
    for (int64_t m = 0; m < M; m++)
      for (int64_t n = 0; n < N; n++) {
        int64_t acc = 0;
        double exact = bias[n], worst_error = 0;  // each operand off by at most half its step
        for (int64_t k = 0; k < K; k++) {
          acc += (static_cast<int64_t>(values[m * K + k]) - zeros[m]) * q[n * K + k];
          exact += static_cast<double>(x[m * K + k]) * w[n * K + k];
          worst_error += std::fabs(x[m * K + k]) * 0.5 * scale[n] + std::fabs(w[n * K + k]) * 0.5 * row_scales[m] +
                         0.25 * scale[n] * row_scales[m];
        }
        const double dequantized = static_cast<double>(row_scales[m]) * scale[n] * acc + bias[n];
        ASSERT_NEAR(out[m * N + n], dequantized, 1e-5 * (1 + std::fabs(dequantized))) << M << "x" << N << "x" << K;
        ASSERT_LE(std::fabs(out[m * N + n] - exact), worst_error * 1.0001 + 1e-5) << M << "x" << N << "x" << K;
      }
  }
}

}  // namespace
}  // namespace bertft
