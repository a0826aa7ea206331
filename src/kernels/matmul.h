#pragma once
// The one place matrix products happen, so the backend (oneDNN fp32 today) can change alone.
#include <cstdint>

namespace bertft {

// out[M, N] = in[M, K] · weight[N, K]^T   (weight in PyTorch Linear layout [out_features, in_features])
// Multithreaded over the current OpenMP thread count. Buffers must not overlap.
void matmul_forward(float* out, const float* in, const float* weight, int64_t M, int64_t N, int64_t K);

}  // namespace bertft
