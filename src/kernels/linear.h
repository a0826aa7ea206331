#pragma once
// Fully connected layer, PyTorch nn.Linear semantics.
#include <cstdint>

namespace bertft {

// out[M, N] = in[M, K] · weight[N, K]^T + bias[N]
void linear_forward(float* out, const float* in, const float* weight, const float* bias, int64_t M,
                    int64_t N, int64_t K);

}  // namespace bertft
