#include "kernels/layernorm.h"

#include <cmath>

namespace bertft {

void layernorm_row(float* row, const float* weight, const float* bias, int64_t H, float eps) {
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
}

void layernorm_forward(float* out, const float* in, const float* weight, const float* bias,
                       int64_t rows, int64_t H, float eps) {
#pragma omp parallel for
  for (int64_t r = 0; r < rows; r++) {
    float* o = out + r * H;
    const float* x = in + r * H;
    if (o != x) {
#pragma omp simd
      for (int64_t i = 0; i < H; i++) o[i] = x[i];
    }
    layernorm_row(o, weight, bias, H, eps);
  }
}

void residual_layernorm_forward(float* out, const float* in, const float* residual,
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

}  // namespace bertft
