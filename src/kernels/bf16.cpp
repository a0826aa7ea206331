#include "kernels/bf16.h"

#include <bit>

namespace bertft {

namespace {

// f32_to_bf16 written as a select, so the loop vectorises.
inline uint16_t round_to_bf16(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  const uint16_t rounded = static_cast<uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
  return (x & 0x7fffffffu) > 0x7f800000u ? uint16_t{0x7fc0} : rounded;
}

constexpr int64_t kParallelThreshold = 1 << 15;

}  // namespace

void to_bf16(bf16* dst, const float* src, int64_t n) { to_bf16_scaled(dst, src, 1.0f, n); }

void to_bf16_scaled(bf16* dst, const float* src, float scale, int64_t n) {
  uint16_t* out = reinterpret_cast<uint16_t*>(dst);
#pragma omp parallel for simd schedule(static) if (n >= kParallelThreshold)
  for (int64_t i = 0; i < n; i++) out[i] = round_to_bf16(src[i] * scale);
}

}  // namespace bertft
