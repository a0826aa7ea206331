#include "kernels/layernorm.h"

#include <algorithm>
#include <cmath>

#include "common/multiversion.h"

namespace bertft {

namespace {

// The un-normalised row into out, unless the kernel runs in place.
inline void copy_row(float* out, const float* in, int64_t H) {
  if (out == in) return;
#pragma omp simd
  for (int64_t i = 0; i < H; i++) out[i] = in[i];
}

}  // namespace

void layernorm_row(float* row, const float* weight, const float* bias, int64_t H, float eps) {
  float mean, rstd;
  layernorm_row_stats(row, weight, bias, H, eps, &mean, &rstd);
}

BERTFT_HOT_LOOP void layernorm_row_stats(float* row, const float* weight, const float* bias, int64_t H, float eps,
                         float* mean_out, float* rstd_out) {
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int64_t i = 0; i < H; i++) sum += row[i];
  const float mean = sum / static_cast<float>(H);
  float squares = 0.0f;
#pragma omp simd reduction(+ : squares)
  for (int64_t i = 0; i < H; i++) squares += (row[i] - mean) * (row[i] - mean);
  const float rstd = 1.0f / std::sqrt(squares / static_cast<float>(H) + eps);
#pragma omp simd
  for (int64_t i = 0; i < H; i++) row[i] = (row[i] - mean) * rstd * weight[i] + bias[i];
  *mean_out = mean;
  *rstd_out = rstd;
}

BERTFT_HOT_LOOP void layernorm_forward(float* out, const float* in, const float* weight, const float* bias,
                       int64_t rows, int64_t H, float eps) {
#pragma omp parallel for
  for (int64_t r = 0; r < rows; r++) {
    float* o = out + r * H;
    const float* x = in + r * H;
    copy_row(o, x, H);
    layernorm_row(o, weight, bias, H, eps);
  }
}

BERTFT_HOT_LOOP void residual_layernorm_forward(float* out, const float* in, const float* residual,
                                const float* weight, const float* bias, int64_t rows, int64_t H,
                                float eps) {
#pragma omp parallel for
  for (int64_t r = 0; r < rows; r++) {
    float* o = out + r * H;
    const float* x = in + r * H;
    const float* res = residual + r * H;
#pragma omp simd
    for (int64_t i = 0; i < H; i++) o[i] = x[i] + res[i];
    layernorm_row(o, weight, bias, H, eps);
  }
}

BERTFT_HOT_LOOP void layernorm_forward_train(float* out, float* mean, float* rstd, const float* in, const float* weight,
                             const float* bias, int64_t rows, int64_t H, float eps) {
#pragma omp parallel for
  for (int64_t r = 0; r < rows; r++) {
    float* o = out + r * H;
    const float* x = in + r * H;
    copy_row(o, x, H);
    layernorm_row_stats(o, weight, bias, H, eps, mean + r, rstd + r);
  }
}

BERTFT_HOT_LOOP void residual_layernorm_forward_train(float* out, float* sum, float* mean, float* rstd, const float* in,
                                      const float* residual, const float* weight, const float* bias,
                                      int64_t rows, int64_t H, float eps) {
#pragma omp parallel for
  for (int64_t r = 0; r < rows; r++) {
    float* o = out + r * H;
    float* s = sum + r * H;
    const float* x = in + r * H;
    const float* res = residual + r * H;
#pragma omp simd
    for (int64_t i = 0; i < H; i++) s[i] = x[i] + res[i];
#pragma omp simd
    for (int64_t i = 0; i < H; i++) o[i] = s[i];
    layernorm_row_stats(o, weight, bias, H, eps, mean + r, rstd + r);
  }
}

BERTFT_HOT_LOOP void layernorm_backward(float* din, float* dweight, float* dbias, const float* dout, const float* in,
                        const float* weight, const float* mean, const float* rstd, int64_t rows, int64_t H) {
  // dweight, dbias: each thread owns a block of columns and sums it over every row (deterministic).
  constexpr int64_t kBlock = 64;
  const int64_t blocks = (H + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static)
  for (int64_t blk = 0; blk < blocks; blk++) {
    const int64_t i0 = blk * kBlock, i1 = std::min(H, i0 + kBlock);
    float acc_w[kBlock] = {}, acc_b[kBlock] = {};
    for (int64_t r = 0; r < rows; r++) {
      const float* dy = dout + r * H;
      const float* x = in + r * H;
      const float m = mean[r], s = rstd[r];
#pragma omp simd
      for (int64_t i = i0; i < i1; i++) {
        acc_w[i - i0] += dy[i] * ((x[i] - m) * s);
        acc_b[i - i0] += dy[i];
      }
    }
    for (int64_t i = i0; i < i1; i++) {
      dweight[i] += acc_w[i - i0];
      dbias[i] += acc_b[i - i0];
    }
  }
  // din = rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dout * weight.
#pragma omp parallel for
  for (int64_t r = 0; r < rows; r++) {
    const float* dy = dout + r * H;
    const float* x = in + r * H;
    float* dx = din + r * H;
    const float m = mean[r], s = rstd[r];
    float sum_g = 0.0f, sum_gx = 0.0f;
#pragma omp simd reduction(+ : sum_g, sum_gx)
    for (int64_t i = 0; i < H; i++) {
      const float g = dy[i] * weight[i];
      sum_g += g;
      sum_gx += g * ((x[i] - m) * s);
    }
    const float mean_g = sum_g / static_cast<float>(H), mean_gx = sum_gx / static_cast<float>(H);
#pragma omp simd
    for (int64_t i = 0; i < H; i++) {
      const float g = dy[i] * weight[i];
      dx[i] = s * (g - mean_g - ((x[i] - m) * s) * mean_gx);
    }
  }
}

void residual_layernorm_backward(float* din, float* dresidual, float* dweight, float* dbias,
                                 const float* dout, const float* sum, const float* weight,
                                 const float* mean, const float* rstd, int64_t rows, int64_t H) {
  layernorm_backward(din, dweight, dbias, dout, sum, weight, mean, rstd, rows, H);
  if (dresidual && dresidual != din) std::copy(din, din + rows * H, dresidual);
}

}  // namespace bertft
