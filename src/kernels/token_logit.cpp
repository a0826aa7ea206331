#include "kernels/token_logit.h"

#include <algorithm>
#include <cmath>

namespace bertft {

void token_logit_forward(float* logits, const float* x, const float* w, const float* b, int64_t T, int64_t H) {
#pragma omp parallel for schedule(static)
  for (int64_t t = 0; t < T; t++) {
    const float* row = x + t * H;
    float sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int64_t h = 0; h < H; h++) sum += row[h] * w[h];
    logits[t] = sum + b[0];
  }
}

void token_logit_backward(float* dx, float* dw, float* db, const float* dlogits, const float* x, const float* w,
                          int64_t T, int64_t H) {
#pragma omp parallel
  {
#pragma omp for schedule(static) nowait
    for (int64_t t = 0; t < T; t++) {
      float* row = dx + t * H;
      const float d = dlogits[t];
#pragma omp simd
      for (int64_t h = 0; h < H; h++) row[h] = d * w[h];
    }
    // Each thread owns a block of columns of dw: the sums over T need no reduction between threads.
#pragma omp for schedule(static)
    for (int64_t h0 = 0; h0 < H; h0 += 16) {
      const int64_t h1 = h0 + 16 < H ? h0 + 16 : H;
      float sums[16] = {};
      for (int64_t t = 0; t < T; t++)
        for (int64_t h = h0; h < h1; h++) sums[h - h0] += dlogits[t] * x[t * H + h];
      for (int64_t h = h0; h < h1; h++) dw[h] += sums[h - h0];
    }
  }
  double sum = 0;
  for (int64_t t = 0; t < T; t++) sum += dlogits[t];
  db[0] += static_cast<float>(sum);
}

BinaryLoss binary_crossentropy_forward_backward(float* dlogits, const float* logits, const uint8_t* labels, int64_t T,
                                                float scale) {
  double loss_sum = 0;
  int64_t correct = 0;
  const float factor = static_cast<float>(static_cast<double>(scale) / static_cast<double>(T));
#pragma omp parallel for schedule(static) reduction(+ : loss_sum, correct)
  for (int64_t t = 0; t < T; t++) {
    const float z = logits[t];
    const float y = labels[t] ? 1.0f : 0.0f;
    loss_sum += static_cast<double>(std::max(z, 0.0f) - z * y) + std::log1p(std::exp(-std::fabs(static_cast<double>(z))));
    correct += (z > 0) == (labels[t] != 0);
    const float sigmoid = z >= 0 ? 1.0f / (1.0f + std::exp(-z)) : std::exp(z) / (1.0f + std::exp(z));
    dlogits[t] = factor * (sigmoid - y);
  }
  return {loss_sum, correct};
}

}  // namespace bertft
