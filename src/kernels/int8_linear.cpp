#include "kernels/int8_linear.h"

#include <algorithm>
#include <cmath>

namespace bertft {

void quantize_weight_per_channel(int8_t* q, float* scale, const float* weight, int64_t N, int64_t K) {
#pragma omp parallel for
  for (int64_t n = 0; n < N; n++) {
    const float* w = weight + n * K;
    float max_abs = 0;
    for (int64_t k = 0; k < K; k++) max_abs = std::max(max_abs, std::fabs(w[k]));
    scale[n] = max_abs > 0 ? max_abs / 127.0f : 1.0f;
    for (int64_t k = 0; k < K; k++) q[n * K + k] = static_cast<int8_t>(std::nearbyint(w[k] / scale[n]));
  }
}

Int8Weight::Int8Weight(const int8_t* q, const float* scale, int64_t N, int64_t K)
    : n_(N), k_(K), q_(q, q + N * K), scale_(scale, scale + N), q_row_sum_(N) {
  for (int64_t n = 0; n < N; n++) {
    int32_t sum = 0;
    for (int64_t k = 0; k < K; k++) sum += q[n * K + k];
    q_row_sum_[n] = sum;
  }
}

void quantize_rows(QuantizedRows rows, const float* in, int64_t M, int64_t K) {
#pragma omp parallel for
  for (int64_t m = 0; m < M; m++) {
    const float* x = in + m * K;
    float lo = 0, hi = 0;
    for (int64_t k = 0; k < K; k++) {
      lo = std::min(lo, x[k]);
      hi = std::max(hi, x[k]);
    }
    const float scale = hi > lo ? (hi - lo) / 255.0f : 1.0f;
    const int32_t zero = static_cast<int32_t>(std::nearbyint(-lo / scale));
    rows.scales[m] = scale;
    rows.zero_points[m] = zero;
    for (int64_t k = 0; k < K; k++) {
      const float v = std::nearbyint(x[k] / scale) + static_cast<float>(zero);
      rows.values[m * K + k] = static_cast<uint8_t>(std::clamp(v, 0.0f, 255.0f));
    }
  }
}

void int8_linear_forward(float* out, const float* in, const Int8Weight& weight, const float* bias, int64_t M,
                         QuantizedRows scratch) {
  const int64_t N = weight.n_, K = weight.k_;
  quantize_rows(scratch, in, M, K);
#pragma omp parallel for collapse(2)
  for (int64_t m = 0; m < M; m++)
    for (int64_t n = 0; n < N; n++) {
      const uint8_t* x = scratch.values + m * K;
      const int8_t* w = weight.q_.data() + n * K;
      int32_t acc = 0;
      for (int64_t k = 0; k < K; k++) acc += static_cast<int32_t>(x[k]) * w[k];
      acc -= scratch.zero_points[m] * weight.q_row_sum_[n];
      out[m * N + n] = scratch.scales[m] * weight.scale_[n] * static_cast<float>(acc) + (bias ? bias[n] : 0.0f);
    }
}

}  // namespace bertft
