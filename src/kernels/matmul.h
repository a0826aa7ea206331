#pragma once
// The one place matrix products happen, so the backend can change alone. fp32 products go to
// oneDNN's sgemm; bf16 products (bf16 inputs, fp32 accumulation and output: the mixed-precision
// path) go to oneDNN matmul primitives created once with runtime shapes, so batches of any packed
// length reuse them (docs/speed.md has the measurements behind this).
#include <cstdint>

#include "common/float_convert.h"

namespace bertft {

// out[M, N] = in[M, K] · weight[N, K]^T   (weight in PyTorch Linear layout [out_features, in_features])
// Multithreaded over the current OpenMP thread count (single-threaded when called inside a parallel
// region). Buffers must not overlap.
void matmul_forward(float* out, const float* in, const float* weight, int64_t M, int64_t N, int64_t K);

// Backward of matmul_forward with respect to its input:
// din[M, K] = beta * din + dout[M, N] · weight[N, K]   (beta 0: overwrite, 1: accumulate)
void matmul_backward_input(float* din, const float* dout, const float* weight, int64_t M, int64_t N,
                           int64_t K, float beta = 0.0f);

// Backward of matmul_forward with respect to its weight:
// dweight[N, K] = beta * dweight + dout[M, N]^T · in[M, K]   (beta 1: accumulate, as gradients do)
void matmul_backward_weight(float* dweight, const float* dout, const float* in, int64_t M, int64_t N,
                            int64_t K, float beta = 1.0f);

// General row-major product: c[M, N] = alpha * op(a) · op(b) + beta * c, op(x) = x or x^T, with
// leading dimensions lda, ldb, ldc (floats between rows as stored).
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// bf16 counterparts of the above, with the bias fused into the product:
// out[M, N] = in[M, K] · weight[N, K]^T (+ bias[N] when bias is not nullptr)
void matmul_forward(float* out, const bf16* in, const bf16* weight, const float* bias, int64_t M,
                    int64_t N, int64_t K);
// din[M, K] = beta * din + dout[M, N] · weight[N, K]   (beta 0 or 1)
void matmul_backward_input(float* din, const bf16* dout, const bf16* weight, int64_t M, int64_t N,
                           int64_t K, float beta = 0.0f);
// dweight[N, K] = beta * dweight + dout[M, N]^T · in[M, K]   (beta 0 or 1)
void matmul_backward_weight(float* dweight, const bf16* dout, const bf16* in, int64_t M, int64_t N,
                            int64_t K, float beta = 1.0f);

// c[M, N] = op(a) · op(b) + beta * c with bf16 a and b, fp32 c; beta must be 0 or 1. Safe to call
// from several threads at once.
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const bf16* a, int64_t lda,
          const bf16* b, int64_t ldb, float beta, float* c, int64_t ldc, const float* bias = nullptr);

}  // namespace bertft
