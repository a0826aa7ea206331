#include "kernels/linear.h"

#include <omp.h>

#include <algorithm>

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

void bias_backward(float* dbias, const float* dout, int64_t M, int64_t N) {
  constexpr int64_t kBlock = 64;  // columns per task: whole cache lines, summed over every row
  const int64_t blocks = (N + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static)
  for (int64_t blk = 0; blk < blocks; blk++) {
    const int64_t n0 = blk * kBlock, n1 = std::min(N, n0 + kBlock);
    float acc[kBlock] = {};
    for (int64_t m = 0; m < M; m++) {
      const float* row = dout + m * N;
#pragma omp simd
      for (int64_t n = n0; n < n1; n++) acc[n - n0] += row[n];
    }
    for (int64_t n = n0; n < n1; n++) dbias[n] += acc[n - n0];
  }
}

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

void linear_backward(float* din, float* dweight, float* dbias, const float* dout, const bf16* dout_bf16,
                     const bf16* in, const bf16* weight, int64_t M, int64_t N, int64_t K, float din_beta) {
  if (din) matmul_backward_input(din, dout_bf16, weight, M, N, K, din_beta);
  matmul_backward_weight(dweight, dout_bf16, in, M, N, K, 1.0f);
  if (dbias) bias_backward(dbias, dout, M, N);
}

}  // namespace bertft
