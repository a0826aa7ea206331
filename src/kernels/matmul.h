#pragma once
// The one place matrix products happen, so the backend (oneDNN fp32 today) can change alone.
#include <cstdint>

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

}  // namespace bertft
