// The int8 Linear product against its definition computed here in doubles: the quantization steps as
// documented in kernels/int8_linear.h, and the dequantized product against the fp32 product.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <tuple>
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

// Runs a test body once with each kernel int8_linear_forward can pick: the AVX512-VNNI one (where the
// CPU has it) and the portable one.
class Int8LinearKernels : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (!GetParam() && !int8_linear_uses_vnni()) GTEST_SKIP() << "this CPU has no AVX512-VNNI";
    int8_linear_force_portable(GetParam());
  }
  void TearDown() override { int8_linear_force_portable(false); }
};

std::string kernel_name(const ::testing::TestParamInfo<bool>& info) { return info.param ? "Portable" : "Vnni"; }

INSTANTIATE_TEST_SUITE_P(, Int8LinearKernels, ::testing::Values(false, true), kernel_name);

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

TEST_P(Int8LinearKernels, RowQuantizationCoversEachRowsRangeAndZero) {
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

// The forward product of x [M, K] and w [N, K] equals the dequantized int32 product of what
// quantize_rows wrote to the scratch, and stays within the quantization steps' bound of the fp32 one.
void expect_forward_matches_definition(int64_t M, int64_t N, int64_t K, const std::vector<float>& x,
                                       const std::vector<float>& w, const std::vector<float>& bias) {
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
      ASSERT_NEAR(out[m * N + n], dequantized, 1e-5 * (1 + std::fabs(dequantized)))
          << M << "x" << N << "x" << K << " at " << m << "," << n;
      ASSERT_LE(std::fabs(out[m * N + n] - exact), worst_error * 1.0001 + 1e-5) << M << "x" << N << "x" << K;
    }
}

// Shapes that are not multiples of the kernels' blocks (4 k's per word, 16 columns per block, 64 per
// panel, 6 rows per microkernel, 48 per tile), and ones that are.
TEST_P(Int8LinearKernels, ForwardEqualsDequantizedProductAndStaysNearFp32) {
  for (auto [M, N, K] : {std::tuple<int64_t, int64_t, int64_t>{1, 1, 1}, {1, 17, 3}, {2, 64, 4}, {5, 16, 6},
                         {7, 19, 45}, {6, 65, 129}, {49, 48, 64}, {33, 70, 768}, {130, 3072, 64}, {97, 36, 770}}) {
    expect_forward_matches_definition(M, N, K, random_values(M * K, -2.0f, 2.0f, 3), random_values(N * K, -0.1f, 0.1f, 4),
                                      random_values(N, -1.0f, 1.0f, 5));
  }
}

// Inputs that quantize to 0 and 255 and weights to -127 and 127 over a long K: products of 255 x 127
// overflow int16 pairs (a kernel with saturating 16-bit steps fails) and sums reach 1.3e8.
TEST_P(Int8LinearKernels, ExtremeValuesOverLongRowsAreExact) {
  const int64_t M = 7, N = 35, K = 4097;
  std::vector<float> x(M * K, 3.0f), w(N * K, 0.1f), bias(N, 0.5f);
  for (int64_t m = 0; m < M; m++) x[m * K + m] = -1.0f;  // row range [-1, 3]: -1 -> 0, 3 -> 255
  for (int64_t n = 0; n < N; n++)
    for (int64_t k = 0; k < K; k++)
      if ((n + k) % (n + 2) == 0) w[n * K + k] = -0.1f;
  std::vector<uint8_t> values(M * K);
  std::vector<float> scales(M);
  std::vector<int32_t> zeros(M);
  quantize_rows({values.data(), scales.data(), zeros.data()}, x.data(), M, K);
  EXPECT_EQ(values[0], 0);
  EXPECT_EQ(values[K - 1], 255);
  expect_forward_matches_definition(M, N, K, x, w, bias);
}

// Both kernels' row quantization agree to the bit (the same division and rounding).
TEST(Int8Linear, RowQuantizationIsTheSameInBothKernels) {
  if (!int8_linear_uses_vnni()) GTEST_SKIP() << "this CPU has no AVX512-VNNI";
  const int64_t M = 9, K = 1001;
  std::vector<float> x = random_values(M * K, -3.0f, 1.5f, 6);
  for (int64_t k = 0; k < K; k++) x[K + k] = (k % 255) * 0.5f;  // many exact ties of x / scale
  std::vector<uint8_t> values[2] = {std::vector<uint8_t>(M * K), std::vector<uint8_t>(M * K)};
  std::vector<float> scales[2] = {std::vector<float>(M), std::vector<float>(M)};
  std::vector<int32_t> zeros[2] = {std::vector<int32_t>(M), std::vector<int32_t>(M)};
  for (int portable = 0; portable < 2; portable++) {
    int8_linear_force_portable(portable);
    quantize_rows({values[portable].data(), scales[portable].data(), zeros[portable].data()}, x.data(), M, K);
  }
  int8_linear_force_portable(false);
  EXPECT_EQ(values[0], values[1]);
  EXPECT_EQ(scales[0], scales[1]);
  EXPECT_EQ(zeros[0], zeros[1]);
}

TEST(Int8Linear, PeakIsMeasuredWhereTheVnniKernelRuns) {
  const double peak = int8_peak_gops();
  if (int8_linear_uses_vnni())
    EXPECT_GT(peak, 10.0);
  else
    EXPECT_EQ(peak, 0.0);
}

}  // namespace
}  // namespace bertft
