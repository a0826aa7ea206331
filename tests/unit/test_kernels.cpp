// Each forward kernel against a naive double-precision loop.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <vector>

#include "common/error.h"
#include "kernels/activation.h"
#include "kernels/attention.h"
#include "kernels/classifier_head.h"
#include "kernels/embeddings.h"
#include "kernels/layernorm.h"
#include "kernels/linear.h"
#include "kernels/matmul.h"
#include "kernels/vector_math.h"

#include "test_util.h"

namespace bertft {
namespace {

using test::naive_layernorm;
using test::random_vector;
using test::to_double;

void expect_close(const std::vector<float>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); i++) ASSERT_NEAR(got[i], want[i], tol) << "at index " << i;
}

TEST(Kernels, MatmulAndLinearMatchNaiveLoops) {
  const int64_t M = 37, N = 29, K = 70;
  auto in = random_vector(M * K, 1), weight = random_vector(N * K, 2), bias = random_vector(N, 3);
  std::vector<float> product(M * N), linear(M * N);
  matmul_forward(product.data(), in.data(), weight.data(), M, N, K);
  linear_forward(linear.data(), in.data(), weight.data(), bias.data(), M, N, K);
  std::vector<double> want_product(M * N), want_linear(M * N);
  for (int64_t m = 0; m < M; m++)
    for (int64_t n = 0; n < N; n++) {
      double sum = 0;
      for (int64_t k = 0; k < K; k++) sum += double(in[m * K + k]) * weight[n * K + k];
      want_product[m * N + n] = sum;
      want_linear[m * N + n] = sum + bias[n];
    }
  expect_close(product, want_product, 1e-4);
  expect_close(linear, want_linear, 1e-4);
}

TEST(Kernels, LayerNormAndResidualLayerNormMatchNaiveLoops) {
  const int64_t rows = 5, H = 33;
  auto x = random_vector(rows * H, 4, 3.0f), res = random_vector(rows * H, 5);
  auto w = random_vector(H, 6), b = random_vector(H, 7);
  const float eps = 1e-5f;
  std::vector<float> out(rows * H);
  layernorm_forward(out.data(), x.data(), w.data(), b.data(), rows, H, eps);
  expect_close(out, naive_layernorm(to_double(x), to_double(w), to_double(b), rows, H, eps), 1e-5);

  std::vector<double> sum(rows * H);
  for (int64_t i = 0; i < rows * H; i++) sum[i] = double(x[i]) + res[i];
  std::vector<float> in_place = x;  // out aliasing in, as the encoder uses it
  residual_layernorm_forward(in_place.data(), in_place.data(), res.data(), w.data(), b.data(), rows, H, eps);
  expect_close(in_place, naive_layernorm(sum, to_double(w), to_double(b), rows, H, eps), 1e-5);
}

TEST(Kernels, EmbeddingsSumWordTypePositionThenNormalise) {
  const int64_t V = 11, P = 9, TV = 3, H = 16, T = 6;
  auto word = random_vector(V * H, 8), pos = random_vector(P * H, 9), type = random_vector(TV * H, 10);
  auto w = random_vector(H, 11), b = random_vector(H, 12);
  const std::vector<int32_t> ids = {2, 10, 0, 5, 5, 1}, types = {0, 0, 2, 1, 1, 0}, positions = {0, 1, 2, 0, 1, 8};
  std::vector<float> out(T * H);
  embeddings_forward(out.data(), ids.data(), types.data(), positions.data(), T, H, word.data(),
                     type.data(), pos.data(), w.data(), b.data(), 1e-12f);
  std::vector<double> sum(T * H);
  for (int64_t t = 0; t < T; t++)
    for (int64_t i = 0; i < H; i++)
      sum[t * H + i] = double(word[ids[t] * H + i]) + type[types[t] * H + i] + pos[positions[t] * H + i];
  expect_close(out, naive_layernorm(sum, to_double(w), to_double(b), T, H, 1e-12), 1e-5);
}

TEST(Kernels, ActivationsMatchLibm) {
  std::vector<float> x;
  for (float v = -12.0f; v <= 12.0f; v += 0.01f) x.push_back(v);
  const int64_t n = static_cast<int64_t>(x.size());
  std::vector<float> out(n);
  auto check = [&](void (*kernel)(float*, const float*, int64_t), double (*want)(double), double tol) {
    kernel(out.data(), x.data(), n);
    for (int64_t i = 0; i < n; i++) {
      const double w = want(x[i]);
      ASSERT_NEAR(out[i], w, tol * std::max(1.0, std::abs(w))) << "x = " << x[i];
    }
  };
  check(gelu_forward, [](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); }, 1e-6);
  check(gelu_tanh_forward, [](double v) {
    return 0.5 * v * (1 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
  }, 1e-6);
  check(relu_forward, [](double v) { return v > 0 ? v : 0.0; }, 0);
  check(silu_forward, [](double v) { return v / (1 + std::exp(-v)); }, 1e-6);
  check(tanh_forward, [](double v) { return std::tanh(v); }, 1e-7);

  for (float v = -80.0f; v <= 80.0f; v += 0.037f)
    ASSERT_NEAR(fast_exp(v) / std::exp(double(v)), 1.0, 3e-7) << "x = " << v;
  for (float v = -6.0f; v <= 6.0f; v += 0.001f) ASSERT_NEAR(fast_erf(v), std::erf(double(v)), 6e-7);
}

TEST(Kernels, ActivationNamesFollowHuggingFace) {
  EXPECT_EQ(activation_from_name("gelu"), Activation::GeluErf);
  EXPECT_EQ(activation_from_name("gelu_new"), Activation::GeluTanh);
  EXPECT_EQ(activation_from_name("gelu_pytorch_tanh"), Activation::GeluTanh);
  EXPECT_EQ(activation_from_name("relu"), Activation::Relu);
  EXPECT_EQ(activation_from_name("silu"), Activation::Silu);
  EXPECT_THROW(activation_from_name("mish"), Error);
}

TEST(Kernels, SoftmaxRowsSumToOne) {
  const std::vector<float> logits = {1.0f, 2.0f, 3.0f, -1000.0f, 0.0f, 1000.0f};
  std::vector<float> probs(6);
  softmax_forward(probs.data(), logits.data(), 2, 3);
  const double e = std::exp(1.0), z = 1 + e + e * e;
  expect_close(probs, {1 / z, e / z, e * e / z, 0, 0, 1}, 1e-7);
}

// A text scored by its windows: mean of the windows' probabilities, and logits whose softmax is that mean.
TEST(Kernels, WindowMeanProbabilitiesAndLogits) {
  const std::vector<float> logits = {2.0f, 0.0f, -1.0f, 0.5f, 1.0f, 1.0f};  // 3 windows, 2 classes
  std::vector<float> probs(2), text_logits(2), from_logits(2);
  mean_softmax_forward(probs.data(), logits.data(), 3, 2);
  const double p0 = (1 / (1 + std::exp(-2.0)) + 1 / (1 + std::exp(1.5)) + 0.5) / 3;
  expect_close(probs, {p0, 1 - p0}, 1e-7);
  mean_window_logits(text_logits.data(), logits.data(), 3, 2);
  expect_close(text_logits, {std::log(p0), std::log(1 - p0)}, 1e-6);
  softmax_forward(from_logits.data(), text_logits.data(), 1, 2);
  expect_close(from_logits, {p0, 1 - p0}, 1e-7);
  // One window: its logits unchanged. Extreme logits: a class whose probability underflows float stays finite.
  mean_window_logits(text_logits.data(), logits.data(), 1, 2);
  expect_close(text_logits, {2.0, 0.0}, 0);
  const std::vector<float> extreme = {0.0f, 300.0f, 0.0f, 200.0f};
  mean_window_logits(text_logits.data(), extreme.data(), 2, 2);
  expect_close(text_logits, {-200 - std::log(2.0), 0.0}, 1e-4);
}

TEST(Kernels, PoolerIsTanhOfLinear) {
  const int64_t B = 3, H = 8;
  auto cls = random_vector(B * H, 13), w = random_vector(H * H, 14), b = random_vector(H, 15);
  std::vector<float> pooled(B * H);
  pooler_forward(pooled.data(), cls.data(), w.data(), b.data(), B, H);
  std::vector<double> want(B * H);
  for (int64_t r = 0; r < B; r++)
    for (int64_t o = 0; o < H; o++) {
      double sum = b[o];
      for (int64_t i = 0; i < H; i++) sum += double(cls[r * H + i]) * w[o * H + i];
      want[r * H + o] = std::tanh(sum);
    }
  expect_close(pooled, want, 1e-6);
}

// Attention over packed sequences equals per-sequence attention with HF-style masking, and the
// [CLS]-only query variant reproduces the full variant's [CLS] rows.
TEST(Kernels, AttentionAttendsWithinEachSequenceOnly) {
  const int heads = 3, d = 8, H = heads * d;
  const std::vector<int> offsets = {0, 5, 6, 19};  // lengths 5, 1, 13
  const int T = offsets.back(), S = 3;
  auto qkv = random_vector(static_cast<size_t>(T) * 3 * H, 16, 2.0f);
  std::vector<float> out(T * H);
  std::vector<float> scratch(attention_scratch_per_thread(13, d) * omp_get_max_threads());
  AttentionShape shape;
  shape.num_seqs = S;
  shape.num_heads = heads;
  shape.head_size = d;
  shape.q_stride = shape.kv_stride = 3 * H;
  shape.q_offsets = shape.kv_offsets = offsets.data();
  attention_forward(out.data(), qkv.data(), qkv.data() + H, qkv.data() + 2 * H, shape, scratch.data());

  std::vector<double> want(T * H);
  for (int s = 0; s < S; s++)
    for (int h = 0; h < heads; h++)
      for (int i = offsets[s]; i < offsets[s + 1]; i++) {
        std::vector<double> scores;
        double max = -1e300, sum = 0;
        for (int j = offsets[s]; j < offsets[s + 1]; j++) {
          double dot = 0;
          for (int c = 0; c < d; c++) dot += double(qkv[i * 3 * H + h * d + c]) * qkv[j * 3 * H + H + h * d + c];
          scores.push_back(dot / std::sqrt(double(d)));
          max = std::max(max, scores.back());
        }
        for (double& sc : scores) sum += (sc = std::exp(sc - max));
        for (int c = 0; c < d; c++) {
          double acc = 0;
          for (int j = offsets[s]; j < offsets[s + 1]; j++)
            acc += scores[j - offsets[s]] / sum * qkv[j * 3 * H + 2 * H + h * d + c];
          want[i * H + h * d + c] = acc;
        }
      }
  expect_close(out, want, 1e-5);

  std::vector<float> cls_queries(S * H), cls_out(S * H);
  for (int s = 0; s < S; s++)
    for (int i = 0; i < H; i++) cls_queries[s * H + i] = qkv[offsets[s] * 3 * H + i];
  const std::vector<int> cls_offsets = {0, 1, 2, 3};
  shape.q_stride = H;
  shape.q_offsets = cls_offsets.data();
  attention_forward(cls_out.data(), cls_queries.data(), qkv.data() + H, qkv.data() + 2 * H, shape,
                    scratch.data());
  for (int s = 0; s < S; s++)
    for (int i = 0; i < H; i++) ASSERT_EQ(cls_out[s * H + i], out[offsets[s] * H + i]);
}

}  // namespace
}  // namespace bertft
