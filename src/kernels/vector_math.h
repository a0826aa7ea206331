#pragma once
// Branch-free float math that the compiler can vectorise inside `#pragma omp simd` loops (libm's
// expf/erff are scalar calls there). Accuracy: exp within 2 ulp; erf within 6e-7 absolute
// (Abramowitz & Stegun 7.1.26, the approximation PyTorch's vectorised CPU erf uses too).
#include <bit>
#include <cstdint>

namespace bertft {

inline float fast_exp(float x) {
  // Clamp to where exp is a normal float, split x = n*ln2 + r with |r| <= ln2/2, evaluate exp(r)
  // with Cephes' minimax polynomial and scale by 2^n through the exponent bits.
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  const float round_shift = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const float n = (x * 1.44269504088896341f + round_shift) - round_shift;
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const float scale = std::bit_cast<float>((static_cast<int32_t>(n) + 127) << 23);
  return p * scale;
}

inline float fast_erf(float x) {
  const float a = x < 0.0f ? -x : x;
  const float t = 1.0f / (1.0f + 0.3275911f * a);
  float p = 1.061405429f;
  p = p * t - 1.453152027f;
  p = p * t + 1.421413741f;
  p = p * t - 0.284496736f;
  p = p * t + 0.254829592f;
  const float y = 1.0f - p * t * fast_exp(-a * a);
  return x < 0.0f ? -y : y;
}

inline float fast_tanh(float x) { return 1.0f - 2.0f / (fast_exp(2.0f * x) + 1.0f); }

// In-place softmax of one row of n values.
inline void softmax_inplace(float* x, int n) {
  float max = x[0];
#pragma omp simd reduction(max : max)
  for (int i = 1; i < n; i++) max = x[i] > max ? x[i] : max;
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int i = 0; i < n; i++) {
    x[i] = fast_exp(x[i] - max);
    sum += x[i];
  }
  const float inv_sum = 1.0f / sum;
#pragma omp simd
  for (int i = 0; i < n; i++) x[i] *= inv_sum;
}

}  // namespace bertft
