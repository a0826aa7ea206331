#include "kernels/bf16.h"

#include "common/multiversion.h"

namespace bertft {

namespace {

constexpr int64_t kParallelThreshold = 1 << 15;

}  // namespace

void to_bf16(bf16* dst, const float* src, int64_t n) { to_bf16_scaled(dst, src, 1.0f, n); }

BERTFT_HOT_LOOP void to_bf16_scaled(bf16* dst, const float* src, float scale, int64_t n) {
  uint16_t* out = reinterpret_cast<uint16_t*>(dst);
  // Not one `parallel for simd if (...)`: GCC vectorises that loop only where the clause holds, and
  // attention converts each head's 128 x 128 probabilities, below the threshold, element by element.
  if (n < kParallelThreshold) {
#pragma omp simd
    for (int64_t i = 0; i < n; i++) out[i] = f32_to_bf16(src[i] * scale);
    return;
  }
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; i++) out[i] = f32_to_bf16(src[i] * scale);
}

}  // namespace bertft
