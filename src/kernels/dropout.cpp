#include "kernels/dropout.h"

#include "common/multiversion.h"

namespace bertft {

BERTFT_HOT_LOOP void dropout_forward(float* out, const float* in, int64_t n, float p, uint64_t seed, uint64_t stream,
                     uint64_t index0) {
  if (p <= 0.0f) {
    if (out != in) {
#pragma omp parallel for simd
      for (int64_t i = 0; i < n; i++) out[i] = in[i];
    }
    return;
  }
  if (p >= 1.0f) {
#pragma omp parallel for simd
    for (int64_t i = 0; i < n; i++) out[i] = 0.0f;
    return;
  }
  const uint64_t key = dropout_stream_key(seed, stream);
  const float scale = 1.0f / (1.0f - p);
#pragma omp parallel for simd
  for (int64_t i = 0; i < n; i++)
    out[i] = dropout_keep(key, index0 + static_cast<uint64_t>(i), p) ? in[i] * scale : 0.0f;
}

void dropout_backward(float* din, const float* dout, int64_t n, float p, uint64_t seed, uint64_t stream,
                      uint64_t index0) {
  dropout_forward(din, dout, n, p, seed, stream, index0);
}

}  // namespace bertft
