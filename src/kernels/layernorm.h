#pragma once
// LayerNorm over the last dimension (PyTorch nn.LayerNorm: biased variance, eps inside the sqrt).
#include <cstdint>

namespace bertft {

// out[rows, H] = LayerNorm(in[rows, H]) * weight[H] + bias[H]. out may alias in.
void layernorm_forward(float* out, const float* in, const float* weight, const float* bias,
                       int64_t rows, int64_t H, float eps);

// out[rows, H] = LayerNorm(in[rows, H] + residual[rows, H]) * weight + bias: the "Add & Norm" after
// attention and after the feed-forward block. out may alias in or residual.
void residual_layernorm_forward(float* out, const float* in, const float* residual,
                                const float* weight, const float* bias, int64_t rows, int64_t H,
                                float eps);

// Normalises one row in place (the shared core of the kernels above and of embeddings_forward).
void layernorm_row(float* row, const float* weight, const float* bias, int64_t H, float eps);

}  // namespace bertft
