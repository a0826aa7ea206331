// The bf16 mixed-precision building blocks against their fp32 definitions: bulk rounding, the bf16
// matrix products (exact on bf16-representable data), fused backward passes, activations rounded on
// the way out, the gradient norm that skips untouched rows and AdamW's on-the-fly clipping.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "common/float_convert.h"
#include "kernels/activation.h"
#include "kernels/bf16.h"
#include "kernels/linear.h"
#include "kernels/matmul.h"
#include "training/adamw.h"
#include "training/batch.h"
#include "training/grad_clip.h"

#include "test_util.h"

namespace bertft {
namespace {

std::vector<float> random_floats(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// Values exactly representable in bf16 (so products of them are exact in fp32 for short sums).
std::vector<float> bf16_exact(size_t n, uint32_t seed) {
  std::vector<float> v = random_floats(n, seed);
  for (float& x : v) x = std::round(x * 8.0f) / 8.0f;
  return v;
}

std::vector<bf16> rounded(const std::vector<float>& v) {
  std::vector<bf16> out(v.size());
  to_bf16(out.data(), v.data(), static_cast<int64_t>(v.size()));
  return out;
}

}  // namespace

TEST(Bf16, BulkRoundingMatchesTheScalarDefinition) {
  std::vector<float> v = random_floats(100000, 1, 100.0f);  // large enough for the threaded path
  const float specials[] = {0.0f, -0.0f, 1.0f + 0x1p-8f, 1.0f + 0x1p-7f + 0x1p-8f, 3.4e38f,
                            std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::denorm_min()};
  for (size_t i = 0; i < std::size(specials); i++) v[i] = specials[i];
  const std::vector<bf16> out = rounded(v);
  for (size_t i = 0; i < v.size(); i++) ASSERT_EQ(static_cast<uint16_t>(out[i]), f32_to_bf16(v[i])) << i;
  EXPECT_EQ(static_cast<uint16_t>(out[2]), 0x3f80);  // tie to even: 1 + 2^-8 rounds down
  EXPECT_EQ(static_cast<uint16_t>(out[3]), 0x3f82);  // 1 + 2^-7 + 2^-8 rounds up
  EXPECT_EQ(static_cast<uint16_t>(out[4]), 0x7f80);  // 3.4e38 is past the largest bf16 (3.39e38): inf
  EXPECT_EQ(static_cast<uint16_t>(out[7]), 0x7fc0);  // NaN stays NaN

  std::vector<bf16> scaled(v.size());
  to_bf16_scaled(scaled.data(), v.data(), 0.125f, static_cast<int64_t>(v.size()));
  for (size_t i = 10; i < v.size(); i += 997) EXPECT_EQ(static_cast<uint16_t>(scaled[i]), f32_to_bf16(v[i] * 0.125f));
}

TEST(Bf16, ProductsMatchFp32OnBf16ExactData) {
  const int64_t M = 37, N = 29, K = 16;
  const std::vector<float> a = bf16_exact(M * K, 2), w = bf16_exact(N * K, 3), bias = bf16_exact(N, 4);
  const std::vector<bf16> a_b = rounded(a), w_b = rounded(w);
  std::vector<float> want(M * N), got(M * N);
  linear_forward(want.data(), a.data(), w.data(), bias.data(), M, N, K);
  linear_forward(got.data(), a_b.data(), w_b.data(), bias.data(), M, N, K);
  EXPECT_EQ(got, want);

  // Backward: input and weight gradients (accumulating), and bias sums from the fp32 gradient.
  const std::vector<float> dout = bf16_exact(M * N, 5);
  std::vector<bf16> dout_b(M * N);
  std::vector<float> din_want(M * K, 1.0f), din_got(M * K, 1.0f), dw_want(N * K, 0.5f), dw_got(N * K, 0.5f),
      db_want(N, 0.25f), db_got(N, 0.25f);
  linear_backward(din_want.data(), dw_want.data(), db_want.data(), dout.data(), a.data(), w.data(), M, N, K, 1.0f);
  linear_backward(din_got.data(), dw_got.data(), db_got.data(), dout.data(), dout_b.data(), a_b.data(), w_b.data(),
                  M, N, K, 1.0f);
  EXPECT_EQ(din_got, din_want);
  EXPECT_EQ(dw_got, dw_want);
  EXPECT_EQ(db_got, db_want);
  EXPECT_EQ(dout_b, rounded(dout));  // the scratch holds the rounded gradient
}

TEST(Bf16, GemmHandlesStridesTranspositionsAndEmptySums) {
  const int64_t M = 5, N = 7, K = 9, lda = 12, ldb = 11, ldc = 10;
  const std::vector<float> a = bf16_exact(K * lda, 6), b = bf16_exact(K * ldb, 7);
  const std::vector<bf16> a_b = rounded(a), b_b = rounded(b);
  // c = a^T (a stored [K, lda], M columns used) · b (stored [K, ldb], N columns used)
  std::vector<float> want(M * ldc, 3.0f), got(M * ldc, 3.0f);
  gemm(true, false, M, N, K, 1.0f, a.data(), lda, b.data(), ldb, 1.0f, want.data(), ldc);
  gemm(true, false, M, N, K, a_b.data(), lda, b_b.data(), ldb, 1.0f, got.data(), ldc);
  EXPECT_EQ(got, want);
  std::vector<float> c(4, 9.0f);
  const float bias[2] = {1.0f, 2.0f};
  gemm(false, false, 2, 2, 0, a_b.data(), 1, b_b.data(), 2, 0.0f, c.data(), 2, bias);
  EXPECT_EQ(c, (std::vector<float>{1.0f, 2.0f, 1.0f, 2.0f}));
  EXPECT_THROW(gemm(false, false, 2, 2, 2, a_b.data(), 2, b_b.data(), 2, 0.5f, c.data(), 2), std::logic_error);
}

TEST(Bf16, ActivationRoundsItsFp32Output) {
  const std::vector<float> x = random_floats(50000, 8, 3.0f);
  for (Activation act : {Activation::GeluErf, Activation::GeluTanh, Activation::Relu, Activation::Silu}) {
    std::vector<float> y(x.size());
    std::vector<bf16> y_b(x.size());
    activation_forward(act, y.data(), x.data(), static_cast<int64_t>(x.size()));
    activation_forward(act, y_b.data(), x.data(), static_cast<int64_t>(x.size()));
    EXPECT_EQ(y_b, rounded(y)) << static_cast<int>(act);
  }
}

TEST(Bf16, GradNormSkipsOnlyRowsKnownToBeZero) {
  const ModelConfig config = test::tiny_config();
  ModelParams g(config, Heads{});
  const std::vector<float> values = random_floats(g.size(), 9);
  std::copy(values.begin(), values.end(), g.data());
  const int64_t H = config.hidden_size;
  const std::vector<int32_t> touched = {3, 1};
  for (int32_t row = 0; row < config.vocab_size; row++)
    if (row != 1 && row != 3) std::fill(g.word_emb + row * H, g.word_emb + (row + 1) * H, 0.0f);
  EXPECT_NEAR(global_grad_norm(g, &touched), global_grad_norm(g), 1e-9 * global_grad_norm(g));
  std::fill(g.word_emb + 5 * H, g.word_emb + 6 * H, 100.0f);  // not listed: ignored
  EXPECT_LT(global_grad_norm(g, &touched), global_grad_norm(g));
}

TEST(Bf16, AdamWClipsOnTheFlyBitIdentically) {
  const ModelConfig config = test::tiny_config();
  ModelParams p1(config, Heads{}), p2(config, Heads{}), g(config, Heads{});
  const std::vector<float> w = random_floats(p1.size(), 10), gv = random_floats(g.size(), 11, 3.0f);
  std::copy(w.begin(), w.end(), p1.data());
  std::copy(w.begin(), w.end(), p2.data());
  AdamW a1(p1, AdamWOptions{}), a2(p2, AdamWOptions{});
  for (int step = 0; step < 3; step++) {
    std::copy(gv.begin(), gv.end(), g.data());
    const double norm = clip_grad_norm(g, 1.0);  // scales g in memory
    a1.step(p1, g, 1e-3);
    std::copy(gv.begin(), gv.end(), g.data());
    ASSERT_EQ(global_grad_norm(g), norm);
    a2.step(p2, g, 1e-3, clip_coefficient(norm, 1.0));
  }
  EXPECT_TRUE(std::equal(p1.data(), p1.data() + p1.size(), p2.data()));
  EXPECT_EQ(clip_coefficient(0.5, 1.0), 1.0f);
  EXPECT_EQ(clip_coefficient(5.0, 0.0), 1.0f);
  EXPECT_TRUE(std::isnan(clip_coefficient(std::numeric_limits<double>::quiet_NaN(), 1.0)));
}

TEST(Bf16, PaddedBatchKeepsRealLengths) {
  Batch batch;
  batch.clear();
  const std::vector<int32_t> a = {2, 7, 3}, b = {2, 3};
  batch.add_padded(a, {}, 1, 5, 0);
  batch.add_padded(b, {}, 0, 5, 0);
  EXPECT_EQ(batch.ids, (std::vector<int32_t>{2, 7, 3, 0, 0, 2, 3, 0, 0, 0}));
  EXPECT_EQ(batch.offsets, (std::vector<int32_t>{0, 5, 10}));
  EXPECT_EQ(batch.lengths, (std::vector<int32_t>{3, 2}));
  EXPECT_THROW(batch.add_padded(a, {}, 0, 2, 0), std::invalid_argument);
}

}  // namespace bertft
