#include "kernels/linear.h"

#include <omp.h>

#include <algorithm>

#include "common/multiversion.h"
#include "kernels/matmul.h"

namespace bertft {

void linear_forward(float* out, const float* in, const float* weight, const float* bias, int64_t M,
                    int64_t N, int64_t K) {
  matmul_forward(out, in, weight, M, N, K);
#pragma omp parallel for
  for (int64_t m = 0; m < M; m++) {
    float* row = out + m * N;
#pragma omp simd
    for (int64_t n = 0; n < N; n++) row[n] += bias[n];
  }
}

namespace {

constexpr int64_t kBlock = 64;  // columns per task: whole cache lines, summed over every row

// dbias[N] += column sums of dout[M, N] (if dbias), and rounded[M, N] = bf16(dout) (if rounded).
// Deterministic: each thread owns a block of columns and sums its rows in order.
BERTFT_HOT_LOOP void column_pass(float* dbias, bf16* rounded, const float* dout, int64_t M, int64_t N) {
  const int64_t blocks = (N + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static)
  for (int64_t blk = 0; blk < blocks; blk++) {
    const int64_t n0 = blk * kBlock, width = std::min(N, n0 + kBlock) - n0;
    float acc[kBlock] = {};
    for (int64_t m = 0; m < M; m++) {
      const float* row = dout + m * N + n0;
#pragma omp simd
      for (int64_t n = 0; n < width; n++) acc[n] += row[n];
      if (rounded) {
        uint16_t* out = reinterpret_cast<uint16_t*>(rounded + m * N + n0);
#pragma omp simd
        for (int64_t n = 0; n < width; n++) out[n] = f32_to_bf16(row[n]);
      }
    }
    if (dbias)
      for (int64_t n = 0; n < width; n++) dbias[n0 + n] += acc[n];
  }
}

}  // namespace

void bias_backward(float* dbias, const float* dout, int64_t M, int64_t N) { column_pass(dbias, nullptr, dout, M, N); }

void linear_backward(float* din, float* dweight, float* dbias, const float* dout, const float* in,
                     const float* weight, int64_t M, int64_t N, int64_t K, float din_beta) {
  if (din) matmul_backward_input(din, dout, weight, M, N, K, din_beta);
  matmul_backward_weight(dweight, dout, in, M, N, K, 1.0f);
  if (dbias) bias_backward(dbias, dout, M, N);
}

void linear_forward(float* out, const bf16* in, const bf16* weight, const float* bias, int64_t M,
                    int64_t N, int64_t K) {
  matmul_forward(out, in, weight, bias, M, N, K);
}

void linear_backward(float* din, float* dweight, float* dbias, const float* dout, bf16* dout_bf16,
                     const bf16* in, const bf16* weight, int64_t M, int64_t N, int64_t K, float din_beta) {
  column_pass(dbias, dout_bf16, dout, M, N);
  if (din) matmul_backward_input(din, dout_bf16, weight, M, N, K, din_beta);
  matmul_backward_weight(dweight, dout_bf16, in, M, N, K, 1.0f);
}

}  // namespace bertft
