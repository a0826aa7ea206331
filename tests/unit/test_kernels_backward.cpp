// Each backward kernel against central finite differences of a naive double-precision forward
// (loss = sum(dout * f(x)) for a random dout), plus the dropout mask's properties and the
// ClassifierStep bookkeeping (accumulation, zero_grads, frozen encoder).
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "common/error.h"
#include "kernels/activation.h"
#include "kernels/attention.h"
#include "kernels/classifier_head.h"
#include "kernels/dropout.h"
#include "kernels/embeddings.h"
#include "kernels/layernorm.h"
#include "kernels/linear.h"
#include "kernels/matmul.h"
#include "model/checkpoint.h"
#include "training/batch.h"
#include "training/classifier_step.h"

#include "test_util.h"

namespace bertft {
namespace {

using test::naive_layernorm;
using test::random_vector;
using test::to_double;

// d/dx_i of f at x, central differences in double.
std::vector<double> numeric_grad(const std::function<double(const std::vector<double>&)>& f,
                                 std::vector<double> x, double h = 1e-6) {
  std::vector<double> g(x.size());
  for (size_t i = 0; i < x.size(); i++) {
    const double saved = x[i];
    x[i] = saved + h;
    const double plus = f(x);
    x[i] = saved - h;
    const double minus = f(x);
    x[i] = saved;
    g[i] = (plus - minus) / (2 * h);
  }
  return g;
}

// max |got - want| <= tol * max(1, max |want|)
void expect_grad(const std::vector<float>& got, const std::vector<double>& want, double tol, const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  double scale = 1.0;
  for (double w : want) scale = std::max(scale, std::abs(w));
  for (size_t i = 0; i < got.size(); i++)
    ASSERT_NEAR(got[i], want[i], tol * scale) << what << " at index " << i;
}

TEST(KernelsBackward, MatmulTransposesMatchNaiveLoops) {
  const int64_t M = 13, N = 7, K = 19;
  auto dout = random_vector(M * N, 1), w = random_vector(N * K, 2), in = random_vector(M * K, 3);
  auto din = random_vector(M * K, 4), dw = random_vector(N * K, 5);
  auto din_acc = din, dw_acc = dw;
  matmul_backward_input(din.data(), dout.data(), w.data(), M, N, K);
  matmul_backward_input(din_acc.data(), dout.data(), w.data(), M, N, K, 1.0f);
  matmul_backward_weight(dw_acc.data(), dout.data(), in.data(), M, N, K);
  std::vector<double> want_din(M * K), want_din_acc(M * K), want_dw(N * K);
  auto din0 = random_vector(M * K, 4), dw0 = random_vector(N * K, 5);
  for (int64_t m = 0; m < M; m++)
    for (int64_t k = 0; k < K; k++) {
      double s = 0;
      for (int64_t n = 0; n < N; n++) s += double(dout[m * N + n]) * w[n * K + k];
      want_din[m * K + k] = s;
      want_din_acc[m * K + k] = s + din0[m * K + k];
    }
  for (int64_t n = 0; n < N; n++)
    for (int64_t k = 0; k < K; k++) {
      double s = dw0[n * K + k];
      for (int64_t m = 0; m < M; m++) s += double(dout[m * N + n]) * in[m * K + k];
      want_dw[n * K + k] = s;
    }
  expect_grad(din, want_din, 1e-5, "din");
  expect_grad(din_acc, want_din_acc, 1e-5, "din accumulated");
  expect_grad(dw_acc, want_dw, 1e-5, "dweight accumulated");
}

TEST(KernelsBackward, LinearMatchesFiniteDifferences) {
  const int64_t M = 5, N = 6, K = 4;
  auto in = random_vector(M * K, 10), w = random_vector(N * K, 11), b = random_vector(N, 12);
  auto dout = to_double(random_vector(M * N, 13));
  std::vector<float> dout_f(dout.begin(), dout.end());
  auto loss = [&](const std::vector<double>& x, const std::vector<double>& W, const std::vector<double>& B) {
    double s = 0;
    for (int64_t m = 0; m < M; m++)
      for (int64_t n = 0; n < N; n++) {
        double o = B[n];
        for (int64_t k = 0; k < K; k++) o += x[m * K + k] * W[n * K + k];
        s += dout[m * N + n] * o;
      }
    return s;
  };
  std::vector<float> din(M * K), dw(N * K, 0.0f), db(N, 0.0f);
  linear_backward(din.data(), dw.data(), db.data(), dout_f.data(), in.data(), w.data(), M, N, K);
  const auto X = to_double(in), W = to_double(w), B = to_double(b);
  expect_grad(din, numeric_grad([&](const auto& v) { return loss(v, W, B); }, X), 1e-6, "din");
  expect_grad(dw, numeric_grad([&](const auto& v) { return loss(X, v, B); }, W), 1e-6, "dweight");
  expect_grad(db, numeric_grad([&](const auto& v) { return loss(X, W, v); }, B), 1e-6, "dbias");
  // Gradients accumulate.
  linear_backward(nullptr, dw.data(), db.data(), dout_f.data(), in.data(), w.data(), M, N, K);
  auto want_db = numeric_grad([&](const auto& v) { return loss(X, W, v); }, B);
  for (double& v : want_db) v *= 2;
  expect_grad(db, want_db, 1e-6, "dbias twice");
}

TEST(KernelsBackward, LayerNormMatchesFiniteDifferences) {
  const int64_t rows = 4, H = 70;  // H beyond one 64-column block
  const float eps = 1e-5f;
  auto x = random_vector(rows * H, 20, 2.0f), res = random_vector(rows * H, 21);
  std::vector<float> w = random_vector(H, 22, 0.3f), b = random_vector(H, 23);
  for (float& v : w) v += 1.0f;
  auto dout_f = random_vector(rows * H, 24);
  const auto dout = to_double(dout_f), X = to_double(x), W = to_double(w), B = to_double(b);
  auto loss = [&](const std::vector<double>& xv, const std::vector<double>& wv, const std::vector<double>& bv) {
    const auto y = naive_layernorm(xv, wv, bv, rows, H, eps);
    double s = 0;
    for (size_t i = 0; i < y.size(); i++) s += dout[i] * y[i];
    return s;
  };
  std::vector<float> out(rows * H), mean(rows), rstd(rows), din(rows * H), dw(H, 0.0f), db(H, 0.0f);
  layernorm_forward_train(out.data(), mean.data(), rstd.data(), x.data(), w.data(), b.data(), rows, H, eps);
  std::vector<float> plain(rows * H);
  layernorm_forward(plain.data(), x.data(), w.data(), b.data(), rows, H, eps);
  EXPECT_EQ(out, plain);
  layernorm_backward(din.data(), dw.data(), db.data(), dout_f.data(), x.data(), w.data(), mean.data(),
                     rstd.data(), rows, H);
  expect_grad(din, numeric_grad([&](const auto& v) { return loss(v, W, B); }, X), 1e-5, "din");
  expect_grad(dw, numeric_grad([&](const auto& v) { return loss(X, v, B); }, W), 1e-5, "dweight");
  expect_grad(db, numeric_grad([&](const auto& v) { return loss(X, W, v); }, B), 1e-5, "dbias");

  // Residual form: both inputs get dLoss/dsum.
  std::vector<float> sum(rows * H), dres(rows * H), dw2(H, 0.0f), db2(H, 0.0f);
  residual_layernorm_forward_train(out.data(), sum.data(), mean.data(), rstd.data(), x.data(), res.data(),
                                   w.data(), b.data(), rows, H, eps);
  residual_layernorm_backward(din.data(), dres.data(), dw2.data(), db2.data(), dout_f.data(), sum.data(),
                              w.data(), mean.data(), rstd.data(), rows, H);
  const auto R = to_double(res);
  auto loss_res = [&](const std::vector<double>& rv) {
    std::vector<double> s(rv.size());
    for (size_t i = 0; i < s.size(); i++) s[i] = X[i] + rv[i];
    return loss(s, W, B);
  };
  const auto want = numeric_grad(loss_res, R);
  expect_grad(dres, want, 1e-5, "dresidual");
  expect_grad(din, want, 1e-5, "din (residual form)");
}

TEST(KernelsBackward, ActivationsMatchFiniteDifferences) {
  std::vector<float> x;
  for (float v = -7.0f; v <= 7.0f; v += 0.0173f) x.push_back(v);
  const int64_t n = static_cast<int64_t>(x.size());
  auto dout = random_vector(n, 30);
  std::vector<float> din(n);
  auto check = [&](void (*kernel)(float*, const float*, const float*, int64_t), double (*f)(double),
                   const char* name) {
    kernel(din.data(), dout.data(), x.data(), n);
    for (int64_t i = 0; i < n; i++) {
      const double h = 1e-5, d = (f(x[i] + h) - f(x[i] - h)) / (2 * h);
      ASSERT_NEAR(din[i], dout[i] * d, 2e-6 * std::max(1.0, std::abs(dout[i] * d))) << name << " x = " << x[i];
    }
  };
  check(gelu_backward, [](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); }, "gelu");
  check(gelu_tanh_backward, [](double v) {
    return 0.5 * v * (1 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
  }, "gelu_tanh");
  check(relu_backward, [](double v) { return v > 0 ? v : 0.0; }, "relu");
  check(silu_backward, [](double v) { return v / (1 + std::exp(-v)); }, "silu");
  // In place (din aliasing dout), through the dispatcher.
  std::vector<float> inplace = dout;
  activation_backward(Activation::GeluErf, inplace.data(), inplace.data(), x.data(), n);
  gelu_backward(din.data(), dout.data(), x.data(), n);
  EXPECT_EQ(inplace, din);
  // tanh from its output.
  std::vector<float> y(n);
  tanh_forward(y.data(), x.data(), n);
  tanh_backward(din.data(), dout.data(), y.data(), n);
  for (int64_t i = 0; i < n; i++) {
    const double t = std::tanh(double(x[i]));
    ASSERT_NEAR(din[i], dout[i] * (1 - t * t), 1e-6);
  }
}

TEST(KernelsBackward, EmbeddingsAreSparseAndMatchFiniteDifferences) {
  const int64_t V = 11, P = 9, TV = 3, H = 70, T = 7;
  const int32_t pad = 0;
  auto word = random_vector(V * H, 40), pos = random_vector(P * H, 41), type = random_vector(TV * H, 42);
  auto w = random_vector(H, 43, 0.3f), b = random_vector(H, 44);
  for (float& v : w) v += 1.0f;
  const std::vector<int32_t> ids = {2, 10, 0, 5, 5, 1, 2}, types = {0, 0, 2, 1, 1, 0, 2},
                             positions = {0, 1, 2, 0, 1, 8, 3};
  auto dout_f = random_vector(T * H, 45);
  const auto dout = to_double(dout_f);
  auto loss = [&](const std::vector<double>& Wd, const std::vector<double>& Td, const std::vector<double>& Pd) {
    std::vector<double> sum(T * H);
    for (int64_t t = 0; t < T; t++)
      for (int64_t i = 0; i < H; i++)
        sum[t * H + i] = Wd[ids[t] * H + i] + Td[types[t] * H + i] + Pd[positions[t] * H + i];
    const auto y = naive_layernorm(sum, to_double(w), to_double(b), T, H, 1e-12);
    double s = 0;
    for (size_t i = 0; i < y.size(); i++) s += dout[i] * y[i];
    return s;
  };
  std::vector<float> out(T * H), sum(T * H), mean(T), rstd(T);
  embeddings_forward_train(out.data(), sum.data(), mean.data(), rstd.data(), ids.data(), types.data(),
                           positions.data(), T, H, word.data(), type.data(), pos.data(), w.data(), b.data(), 1e-12f);
  std::vector<float> plain(T * H);
  embeddings_forward(plain.data(), ids.data(), types.data(), positions.data(), T, H, word.data(), type.data(),
                     pos.data(), w.data(), b.data(), 1e-12f);
  EXPECT_EQ(out, plain);
  // Untouched word rows hold NaN: a sparse backward never reads or writes them.
  std::vector<float> dword(V * H, std::nanf("")), dtype(TV * H, 0.0f), dpos(P * H, 0.0f), dw(H, 0.0f), db(H, 0.0f);
  std::vector<uint8_t> seen(V, 0);
  std::vector<int32_t> rows;
  embedding_touched_rows(ids.data(), T, pad, seen.data(), rows);
  EXPECT_EQ(rows, (std::vector<int32_t>{2, 10, 5, 1}));  // first-seen order, no pad id, no duplicates
  for (int32_t r : rows) std::fill(dword.begin() + r * H, dword.begin() + (r + 1) * H, 0.0f);
  std::vector<float> g = dout_f;
  embeddings_backward(dword.data(), dtype.data(), dpos.data(), dw.data(), db.data(), g.data(), sum.data(),
                      mean.data(), rstd.data(), ids.data(), types.data(), positions.data(), T, H, w.data(), pad);
  const auto Wd = to_double(word), Td = to_double(type), Pd = to_double(pos);
  auto want_word = numeric_grad([&](const auto& v) { return loss(v, Td, Pd); }, Wd);
  for (int64_t i = 0; i < H; i++) want_word[pad * H + i] = 0;  // nn.Embedding(padding_idx): no gradient
  for (int64_t r = 0; r < V; r++) {
    const bool touched = std::find(rows.begin(), rows.end(), r) != rows.end();
    for (int64_t i = 0; i < H; i++) {
      if (touched)
        ASSERT_NEAR(dword[r * H + i], want_word[r * H + i], 1e-5) << "row " << r;
      else
        ASSERT_TRUE(std::isnan(dword[r * H + i])) << "untouched row " << r << " was written";
    }
  }
  expect_grad(dtype, numeric_grad([&](const auto& v) { return loss(Wd, v, Pd); }, Td), 1e-5, "type");
  expect_grad(dpos, numeric_grad([&](const auto& v) { return loss(Wd, Td, v); }, Pd), 1e-5, "position");
  // Seen rows are not listed again.
  embedding_touched_rows(ids.data(), T, pad, seen.data(), rows);
  EXPECT_EQ(rows.size(), 4u);
}

// Naive double attention with the kernel's dropout mask; loss = sum(dout * out).
double naive_attention_loss(const std::vector<double>& qkv, const std::vector<double>& dout,
                            const std::vector<int>& offsets, int heads, int d, float p, uint64_t seed,
                            uint64_t stream) {
  const int H = heads * d;
  const uint64_t key = dropout_stream_key(seed, stream);
  double loss = 0;
  for (size_t s = 0; s + 1 < offsets.size(); s++)
    for (int h = 0; h < heads; h++)
      for (int i = offsets[s]; i < offsets[s + 1]; i++) {
        std::vector<double> scores;
        double max = -1e300, sum = 0;
        for (int j = offsets[s]; j < offsets[s + 1]; j++) {
          double dt = 0;
          for (int c = 0; c < d; c++) dt += qkv[i * 3 * H + h * d + c] * qkv[j * 3 * H + H + h * d + c];
          scores.push_back(dt / std::sqrt(double(d)));
          max = std::max(max, scores.back());
        }
        for (double& sc : scores) sum += (sc = std::exp(sc - max));
        for (size_t j = 0; j < scores.size(); j++) {
          scores[j] /= sum;
          if (p > 0) {
            const uint64_t index = ((static_cast<uint64_t>(i) * heads + h) << 20) + j;
            scores[j] = dropout_keep(key, index, p) ? scores[j] / (1 - p) : 0.0;
          }
        }
        for (int c = 0; c < d; c++) {
          double acc = 0;
          for (int j = offsets[s]; j < offsets[s + 1]; j++)
            acc += scores[j - offsets[s]] * qkv[j * 3 * H + 2 * H + h * d + c];
          loss += dout[i * H + h * d + c] * acc;
        }
      }
  return loss;
}

TEST(KernelsBackward, AttentionMatchesFiniteDifferences) {
  const int heads = 2, d = 5, H = heads * d;
  const std::vector<int> offsets = {0, 4, 5, 11};  // lengths 4, 1, 6
  const int T = offsets.back();
  auto qkv = random_vector(static_cast<size_t>(T) * 3 * H, 50);
  auto dout_f = random_vector(static_cast<size_t>(T) * H, 51);
  AttentionShape shape;
  shape.num_seqs = 3;
  shape.num_heads = heads;
  shape.head_size = d;
  shape.q_stride = shape.kv_stride = 3 * H;
  shape.q_offsets = shape.kv_offsets = offsets.data();
  std::vector<float> scratch(attention_train_scratch_per_thread(6) * omp_get_max_threads());
  for (float p : {0.0f, 0.3f}) {
    // The training forward without dropout equals the inference kernel.
    std::vector<float> out(T * H), ref(T * H);
    attention_forward_train(out.data(), qkv.data(), qkv.data() + H, qkv.data() + 2 * H, shape, p, 9, 3,
                            scratch.data());
    if (p == 0) {
      std::vector<float> inference_scratch(attention_scratch_per_thread(6, d) * omp_get_max_threads());
      attention_forward(ref.data(), qkv.data(), qkv.data() + H, qkv.data() + 2 * H, shape, inference_scratch.data());
      for (int i = 0; i < T * H; i++) ASSERT_NEAR(out[i], ref[i], 1e-5);
    }
    const auto dout = to_double(dout_f);
    const double forward = [&] {
      double s = 0;
      for (int i = 0; i < T * H; i++) s += dout[i] * out[i];
      return s;
    }();
    EXPECT_NEAR(forward, naive_attention_loss(to_double(qkv), dout, offsets, heads, d, p, 9, 3), 1e-4);
    std::vector<float> dqkv(static_cast<size_t>(T) * 3 * H, std::nanf(""));
    attention_backward(dqkv.data(), dqkv.data() + H, dqkv.data() + 2 * H, dout_f.data(), qkv.data(),
                       qkv.data() + H, qkv.data() + 2 * H, shape, p, 9, 3, scratch.data());
    const auto want = numeric_grad(
        [&](const auto& v) { return naive_attention_loss(v, dout, offsets, heads, d, p, 9, 3); }, to_double(qkv));
    expect_grad(dqkv, want, 1e-5, p > 0 ? "dqkv with dropout" : "dqkv");
  }
}

TEST(KernelsBackward, CrossEntropyPoolerClassifierMatchFiniteDifferences) {
  const int64_t B = 3, H = 6, C = 4;
  const std::vector<int32_t> labels = {2, 0, 3};
  auto logits = random_vector(B * C, 60, 2.0f);
  auto naive_ce = [&](const std::vector<double>& z) {
    double total = 0;
    for (int64_t b = 0; b < B; b++) {
      double s = 0;
      for (int64_t c = 0; c < C; c++) s += std::exp(z[b * C + c]);
      total += std::log(s) - z[b * C + labels[b]];
    }
    return total / B;
  };
  EXPECT_NEAR(crossentropy_forward(logits.data(), labels.data(), B, C), naive_ce(to_double(logits)), 1e-6);
  std::vector<float> dlogits(B * C);
  crossentropy_backward(dlogits.data(), logits.data(), labels.data(), B, C, 0.5f);
  auto want = numeric_grad(naive_ce, to_double(logits));
  for (double& v : want) v *= 0.5;
  expect_grad(dlogits, want, 1e-7, "dlogits");

  // Class probabilities as targets: one-hot rows give exactly the hard-label loss and gradient, and
  // mixed rows match finite differences of -sum_c q_c log softmax(z)_c.
  std::vector<float> onehot(B * C, 0.0f);
  for (int64_t b = 0; b < B; b++) onehot[b * C + labels[b]] = 1.0f;
  std::vector<float> dsoft(B * C);
  EXPECT_EQ(crossentropy_soft_forward(logits.data(), onehot.data(), B, C),
            crossentropy_forward(logits.data(), labels.data(), B, C));
  crossentropy_soft_backward(dsoft.data(), logits.data(), onehot.data(), B, C, 0.5f);
  EXPECT_EQ(dsoft, dlogits);
  const std::vector<float> soft = {0.1f, 0.2f, 0.3f, 0.4f, 1.0f, 0.0f, 0.0f, 0.0f, 0.25f, 0.25f, 0.5f, 0.0f};
  auto naive_soft = [&](const std::vector<double>& z) {
    double total = 0;
    for (int64_t b = 0; b < B; b++) {
      double s = 0;
      for (int64_t c = 0; c < C; c++) s += std::exp(z[b * C + c]);
      for (int64_t c = 0; c < C; c++) total += soft[b * C + c] * (std::log(s) - z[b * C + c]);
    }
    return total / B;
  };
  EXPECT_NEAR(crossentropy_soft_forward(logits.data(), soft.data(), B, C), naive_soft(to_double(logits)), 1e-6);
  crossentropy_soft_backward(dsoft.data(), logits.data(), soft.data(), B, C, 0.5f);
  auto want_soft = numeric_grad(naive_soft, to_double(logits));
  for (double& v : want_soft) v *= 0.5;
  expect_grad(dsoft, want_soft, 1e-7, "dlogits (soft targets)");

  // classifier(pooler(cls)) with loss = sum(dout * logits).
  auto cls = random_vector(B * H, 61), pw = random_vector(H * H, 62, 0.5f), pb = random_vector(H, 63);
  auto cw = random_vector(C * H, 64), cb = random_vector(C, 65), dout_f = random_vector(B * C, 66);
  auto head_loss = [&](const std::vector<double>& x, const std::vector<double>& W) {
    double s = 0;
    for (int64_t b = 0; b < B; b++)
      for (int64_t c = 0; c < C; c++) {
        double o = cb[c];
        for (int64_t j = 0; j < H; j++) {
          double pre = pb[j];
          for (int64_t i = 0; i < H; i++) pre += x[b * H + i] * W[j * H + i];
          o += std::tanh(pre) * cw[c * H + j];
        }
        s += dout_f[b * C + c] * o;
      }
    return s;
  };
  std::vector<float> pooled(B * H), logits2(B * C), dpooled(B * H), dcls(B * H);
  std::vector<float> dpw(H * H, 0.0f), dpb(H, 0.0f), dcw(C * H, 0.0f), dcb(C, 0.0f);
  pooler_forward(pooled.data(), cls.data(), pw.data(), pb.data(), B, H);
  classifier_forward(logits2.data(), pooled.data(), cw.data(), cb.data(), B, H, C);
  classifier_backward(dpooled.data(), dcw.data(), dcb.data(), dout_f.data(), pooled.data(), cw.data(), B, H, C);
  pooler_backward(dcls.data(), dpw.data(), dpb.data(), dpooled.data(), pooled.data(), cls.data(), pw.data(), B, H);
  const auto X = to_double(cls), W = to_double(pw);
  expect_grad(dcls, numeric_grad([&](const auto& v) { return head_loss(v, W); }, X), 1e-5, "dcls");
  expect_grad(dpw, numeric_grad([&](const auto& v) { return head_loss(X, v); }, W), 1e-5, "dpooler_w");
  std::vector<double> want_dcb(C, 0.0);
  for (int64_t b = 0; b < B; b++)
    for (int64_t c = 0; c < C; c++) want_dcb[c] += dout_f[b * C + c];
  expect_grad(dcb, want_dcb, 1e-6, "dclassifier_b");
}

TEST(Dropout, MaskStatisticsScalingAndReproducibility) {
  const int64_t n = 1 << 20;
  std::vector<float> ones(n, 1.0f), a(n), b(n), c(n);
  for (float p : {0.1f, 0.5f}) {
    dropout_forward(a.data(), ones.data(), n, p, 1234, 7);
    int64_t kept = 0;
    for (float v : a) {
      if (v != 0.0f) {
        kept++;
        ASSERT_FLOAT_EQ(v, 1.0f / (1.0f - p));
      }
    }
    const double rate = double(kept) / n, sigma = std::sqrt(p * (1 - p) / n);
    EXPECT_NEAR(rate, 1.0 - p, 5 * sigma) << "p = " << p;
  }
  const float p = 0.1f;
  dropout_forward(a.data(), ones.data(), n, p, 1234, 7);
  dropout_forward(b.data(), ones.data(), n, p, 1234, 7);
  EXPECT_EQ(a, b);  // same seed, same mask
  dropout_forward(c.data(), ones.data(), n, p, 1235, 7);
  EXPECT_NE(a, c);  // another seed
  dropout_forward(c.data(), ones.data(), n, p, 1234, 8);
  EXPECT_NE(a, c);  // another stream
  // Element i of a stream does not depend on where a call starts or on the thread count.
  dropout_forward(c.data(), ones.data() + 100, n - 100, p, 1234, 7, 100);
  EXPECT_TRUE(std::equal(c.begin(), c.begin() + (n - 100), a.begin() + 100));
  const int threads = omp_get_max_threads();
  for (int t : {1, 2, 3}) {
    omp_set_num_threads(t);
    dropout_forward(c.data(), ones.data(), n, p, 1234, 7);
    EXPECT_EQ(a, c) << t << " threads";
  }
  omp_set_num_threads(threads);
  // Backward applies the same mask and scaling.
  auto g = random_vector(n, 70);
  std::vector<float> dg(n);
  dropout_backward(dg.data(), g.data(), n, p, 1234, 7);
  for (int64_t i = 0; i < n; i++) ASSERT_EQ(dg[i], g[i] * a[i]);
  // Per-step seeds differ.
  EXPECT_NE(dropout_step_seed(1, 0), dropout_step_seed(1, 1));
  EXPECT_NE(dropout_step_seed(1, 0), dropout_step_seed(2, 0));
  // Attention dropout: the same mask for any thread count.
  const int heads = 2, d = 4, H = heads * d;
  const std::vector<int> offsets = {0, 9, 20};
  auto qkv = random_vector(20 * 3 * H, 71);
  AttentionShape shape;
  shape.num_seqs = 2;
  shape.num_heads = heads;
  shape.head_size = d;
  shape.q_stride = shape.kv_stride = 3 * H;
  shape.q_offsets = shape.kv_offsets = offsets.data();
  std::vector<float> scratch(attention_train_scratch_per_thread(11) * 4), out1(20 * H), out2(20 * H);
  omp_set_num_threads(1);
  attention_forward_train(out1.data(), qkv.data(), qkv.data() + H, qkv.data() + 2 * H, shape, 0.3f, 5, 1, scratch.data());
  omp_set_num_threads(std::min(4, std::max(2, threads)));
  attention_forward_train(out2.data(), qkv.data(), qkv.data() + H, qkv.data() + 2 * H, shape, 0.3f, 5, 1, scratch.data());
  omp_set_num_threads(threads);
  EXPECT_EQ(out1, out2);
}

// A tiny random model for the ClassifierStep bookkeeping tests.
struct TinyModel {
  ModelConfig config;
  ModelParams params;
  TinyModel() {
    config.vocab_size = 30;
    config.hidden_size = 16;
    config.num_hidden_layers = 2;
    config.num_attention_heads = 2;
    config.intermediate_size = 32;
    config.max_position_embeddings = 12;
    config.id2label = {"a", "b", "c"};
    params = ModelParams(config, Heads{});
    init_params(params, config, 3);
    auto noise = random_vector(params.size(), 80, 0.05f);
    for (size_t i = 0; i < params.size(); i++) params.data()[i] += noise[i];
  }
};

Batch tiny_batch() {
  Batch batch;
  batch.add(std::vector<int32_t>{2, 5, 7, 3}, std::vector<int32_t>{0, 0, 1, 1}, 1);
  batch.add(std::vector<int32_t>{2, 0, 3}, {}, 0);  // contains the padding id
  batch.add(std::vector<int32_t>{2, 9, 9, 11, 12, 3}, {}, 2);
  return batch;
}

bool all_zero(const ModelParams& grads) {
  return std::all_of(grads.data(), grads.data() + grads.size(), [](float v) { return v == 0.0f; });
}

TEST(ClassifierStep, AccumulatesZeroesAndFreezes) {
  TinyModel m;
  const Batch batch = tiny_batch();
  ClassifierStep step(m.config, 64, 4);
  ModelParams once(m.config, Heads{}), twice(m.config, Heads{});
  StepOptions opts;
  const float loss = step.forward_backward(m.params, once, batch, opts);
  EXPECT_GT(loss, 0.0f);
  EXPECT_EQ(step.forward_backward(m.params, twice, batch, opts), loss);
  opts.grad_scale = 0.5f;
  EXPECT_EQ(step.forward_backward(m.params, twice, batch, opts), loss);  // the loss is unscaled
  for (size_t i = 0; i < once.size(); i++) ASSERT_NEAR(twice.data()[i], 1.5f * once.data()[i], 1e-6f);

  // Touched rows: the batch's ids except the padding id 0.
  std::vector<int32_t> rows = step.touched_word_rows();
  std::sort(rows.begin(), rows.end());
  EXPECT_EQ(rows, (std::vector<int32_t>{2, 3, 5, 7, 9, 11, 12}));
  const int64_t H = m.config.hidden_size;
  for (int64_t i = 0; i < H; i++) EXPECT_EQ(once.word_emb[0 * H + i], 0.0f);  // padding_idx row
  step.zero_grads(twice);
  EXPECT_TRUE(all_zero(twice));
  EXPECT_TRUE(step.touched_word_rows().empty());

  // Frozen encoder: only pooler and classifier, equal to the full step's.
  ModelParams frozen(m.config, Heads{});
  opts.grad_scale = 1.0f;
  opts.train_encoder = false;
  EXPECT_EQ(step.forward_backward(m.params, frozen, batch, opts), loss);
  for (const TensorSpec& spec : frozen.specs()) {
    const bool head = spec.name.starts_with("classifier.") || spec.name.starts_with("bert.pooler.");
    for (size_t i = 0; i < spec.numel; i++) {
      const float got = frozen.data()[spec.offset + i];
      if (head)
        ASSERT_EQ(got, once.data()[spec.offset + i]) << spec.name;
      else
        ASSERT_EQ(got, 0.0f) << spec.name;
    }
  }
  EXPECT_TRUE(step.touched_word_rows().empty());

  // HF's dropout rule: classifier_dropout if set, else hidden_dropout_prob.
  ModelConfig c = m.config;
  c.hidden_dropout_prob = 0.1f;
  c.attention_probs_dropout_prob = 0.2f;
  EXPECT_EQ(step_options_from_config(c).classifier_dropout, 0.1f);
  EXPECT_EQ(step_options_from_config(c).attention_dropout, 0.2f);
  c.classifier_dropout = 0.3f;
  EXPECT_EQ(step_options_from_config(c).classifier_dropout, 0.3f);

  // Malformed batches are refused.
  Batch bad = batch;
  bad.labels[0] = 3;
  EXPECT_THROW(step.forward_backward(m.params, once, bad, opts), Error);
  bad = batch;
  bad.ids[1] = 30;
  EXPECT_THROW(step.forward_backward(m.params, once, bad, opts), Error);
}

TEST(ClassifierStep, DropoutIsReproducibleAndThreadCountIndependent) {
  TinyModel m;
  const Batch batch = tiny_batch();
  StepOptions opts;
  opts.hidden_dropout = opts.attention_dropout = 0.2f;
  opts.classifier_dropout = 0.3f;
  opts.dropout_seed = dropout_step_seed(42, 1);
  const int threads = omp_get_max_threads();
  std::vector<ModelParams> grads;
  std::vector<float> losses;
  for (int t : {1, std::max(2, threads)}) {
    omp_set_num_threads(t);
    ClassifierStep step(m.config, 64, 4);
    for (int repeat = 0; repeat < 2; repeat++) {
      grads.emplace_back(m.config, Heads{});
      losses.push_back(step.forward_backward(m.params, grads.back(), batch, opts));
    }
  }
  omp_set_num_threads(threads);
  EXPECT_EQ(losses[0], losses[1]);
  EXPECT_NEAR(losses[0], losses[2], 1e-6f);
  for (size_t i = 0; i < grads[0].size(); i++) {
    ASSERT_EQ(grads[0].data()[i], grads[1].data()[i]);
    ASSERT_NEAR(grads[0].data()[i], grads[2].data()[i], 1e-5f);
  }
  // Dropout changes the loss; another seed another loss.
  ClassifierStep step(m.config, 64, 4);
  ModelParams g(m.config, Heads{});
  StepOptions off;
  EXPECT_NE(step.forward_backward(m.params, g, batch, off), losses[0]);
  opts.dropout_seed = dropout_step_seed(42, 2);
  EXPECT_NE(step.forward_backward(m.params, g, batch, opts), losses[0]);
}

// Mean and max pooling read only a sequence's real tokens: the same batch padded (the padding masked
// as HF masks it) gives the packed batch's loss and gradients, which are not first-token pooling's.
TEST(ClassifierStep, PoolingLeavesPaddingOut) {
  TinyModel m;
  const Batch packed = tiny_batch();
  Batch padded;
  for (int b = 0; b < packed.num_seqs(); b++) {
    const auto first = packed.ids.begin() + packed.offsets[b], last = packed.ids.begin() + packed.offsets[b + 1];
    const auto types = packed.type_ids.begin() + packed.offsets[b];
    padded.add_padded(std::vector<int32_t>(first, last), std::vector<int32_t>(types, types + (last - first)),
                      packed.labels[b], 9, m.config.pad_token_id);
  }
  ModelParams cls_grads(m.config, Heads{});
  const float cls_loss = ClassifierStep(m.config, 64, 4).forward_backward(m.params, cls_grads, packed, {});
  for (const Pooling pooling : {Pooling::Mean, Pooling::Max}) {
    ModelConfig config = m.config;
    config.classifier_pooling = pooling;
    ClassifierStep step(config, 64, 4);
    ModelParams from_packed(config, Heads{}), from_padded(config, Heads{});
    const float loss = step.forward_backward(m.params, from_packed, packed, {});
    EXPECT_NEAR(step.forward_backward(m.params, from_padded, padded, {}), loss, 1e-6f) << pooling_name(pooling);
    EXPECT_GT(std::fabs(loss - cls_loss), 1e-4f) << pooling_name(pooling);
    float from_cls = 0;
    for (size_t i = 0; i < from_packed.size(); i++) {
      ASSERT_NEAR(from_padded.data()[i], from_packed.data()[i], 1e-5f) << pooling_name(pooling) << " at " << i;
      from_cls = std::max(from_cls, std::fabs(from_packed.data()[i] - cls_grads.data()[i]));
    }
    EXPECT_GT(from_cls, 1e-3f) << pooling_name(pooling);
  }
}

}  // namespace
}  // namespace bertft
