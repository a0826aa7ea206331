#include "kernels/additive_attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/linear.h"
#include "kernels/matmul.h"

namespace bertft {

void additive_attention_forward(float* context, float* alpha, float* u, const float* h, const int32_t* lengths,
                                const float* w, const float* bias, const float* v, int64_t B, int64_t T, int64_t D,
                                int64_t A) {
  linear_forward(u, h, w, bias, B * T, A, D);
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < B; b++) {
    const int64_t n = lengths[b];
    float* a = alpha + b * T;
    float* ctx = context + b * D;
    float max_score = -std::numeric_limits<float>::infinity();
    for (int64_t t = 0; t < n; t++) {
      float* ut = u + (b * T + t) * A;
      // libm's tanh, not fast_tanh: the bias gradient is a sum over steps that cancels to a small value,
      // which an absolute error of 1e-7 in u already shifts by 1e-4 of itself
      float score = 0.0f;
      for (int64_t k = 0; k < A; k++) {
        ut[k] = std::tanh(ut[k]);
        score += ut[k] * v[k];
      }
      a[t] = score;
      max_score = std::max(max_score, score);
    }
    double sum = 0.0;
    for (int64_t t = 0; t < n; t++) sum += a[t] = std::exp(a[t] - max_score);
    std::fill(a + n, a + T, 0.0f);
    std::fill(ctx, ctx + D, 0.0f);
    for (int64_t t = 0; t < n; t++) {
      a[t] = static_cast<float>(a[t] / sum);
      const float* ht = h + (b * T + t) * D;
#pragma omp simd
      for (int64_t d = 0; d < D; d++) ctx[d] += a[t] * ht[d];
    }
  }
}

void additive_attention_backward(float* dh, float* dw, float* dbias, float* dv, float* du, float* dscore,
                                 const float* dcontext,
                                 const float* alpha, const float* u, const float* h, const int32_t* lengths,
                                 const float* w, const float* v, int64_t B, int64_t T, int64_t D, int64_t A) {
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < B; b++) {
    const int64_t n = lengths[b];
    const float* a = alpha + b * T;
    const float* dctx = dcontext + b * D;
    // dscore[t] = alpha[t] * (dalpha[t] - sum alpha * dalpha), dalpha[t] = dcontext · h[t]
    double weighted = 0.0;
    for (int64_t t = 0; t < n; t++) {
      const float* ht = h + (b * T + t) * D;
      float dalpha = 0.0f;
      for (int64_t d = 0; d < D; d++) dalpha += dctx[d] * ht[d];
      du[(b * T + t) * A] = dalpha;  // parked in du until the sum is known
      weighted += static_cast<double>(a[t]) * dalpha;
    }
    for (int64_t t = 0; t < T; t++) {
      float* dht = dh + (b * T + t) * D;
      float* dut = du + (b * T + t) * A;
      if (t >= n) {
        std::memset(dht, 0, sizeof(float) * D);
        std::memset(dut, 0, sizeof(float) * A);
        continue;
      }
#pragma omp simd
      for (int64_t d = 0; d < D; d++) dht[d] = a[t] * dctx[d];
      const float ds = dscore[b * T + t] = a[t] * (dut[0] - static_cast<float>(weighted));
      const float* ut = u + (b * T + t) * A;
      for (int64_t k = 0; k < A; k++) dut[k] = ds * v[k] * (1.0f - ut[k] * ut[k]);  // before the tanh
    }
    std::fill(dscore + b * T + n, dscore + (b + 1) * T, 0.0f);
  }
  // dv[A] += dscore[1, B*T] · u[B*T, A]
  matmul_backward_weight(dv, dscore, u, B * T, 1, A, 1.0f);
  linear_backward(dh, dw, dbias, du, h, w, B * T, A, D, 1.0f);
}

}  // namespace bertft
