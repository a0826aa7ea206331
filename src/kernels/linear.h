#pragma once
// Fully connected layer, PyTorch nn.Linear semantics.
#include <cstdint>

#include "common/float_convert.h"

namespace bertft {

// out[M, N] = in[M, K] · weight[N, K]^T + bias[N]
void linear_forward(float* out, const float* in, const float* weight, const float* bias, int64_t M,
                    int64_t N, int64_t K);

// Backward of linear_forward, given dout[M, N] = dLoss/dout:
//   din[M, K]      = din_beta * din + dout · weight     (skipped when din is nullptr)
//   dweight[N, K] += dout^T · in
//   dbias[N]      += column sums of dout                 (skipped when dbias is nullptr)
void linear_backward(float* din, float* dweight, float* dbias, const float* dout, const float* in,
                     const float* weight, int64_t M, int64_t N, int64_t K, float din_beta = 0.0f);

// bf16 mixed precision: bf16 inputs and weights, fp32 accumulation, output and gradients.
// out[M, N] = in[M, K] · weight[N, K]^T + bias[N]
void linear_forward(float* out, const bf16* in, const bf16* weight, const float* bias, int64_t M,
                    int64_t N, int64_t K);

// As the fp32 linear_backward, with dout rounded into dout_bf16 ([M, N] scratch, overwritten) for
// the products, in the same pass over dout that sums the bias gradient.
void linear_backward(float* din, float* dweight, float* dbias, const float* dout, bf16* dout_bf16,
                     const bf16* in, const bf16* weight, int64_t M, int64_t N, int64_t K,
                     float din_beta = 0.0f);

// dbias[N] += sum over rows of dout[M, N]. Deterministic: each thread owns a block of columns.
void bias_backward(float* dbias, const float* dout, int64_t M, int64_t N);

}  // namespace bertft
