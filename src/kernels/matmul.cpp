#include "kernels/matmul.h"

#include <dnnl.h>

#include <stdexcept>
#include <string>

namespace bertft {

void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (M == 0 || N == 0) return;
  if (K == 0) {  // oneDNN requires K >= 1; the product is empty
    for (int64_t m = 0; m < M; m++)
      for (int64_t n = 0; n < N; n++) c[m * ldc + n] = beta == 0.0f ? 0.0f : beta * c[m * ldc + n];
    return;
  }
  const dnnl_status_t status = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', M, N, K, alpha, a,
                                          lda, b, ldb, beta, c, ldc);
  if (status != dnnl_success)
    throw std::runtime_error("dnnl_sgemm failed with status " + std::to_string(static_cast<int>(status)));
}

void matmul_forward(float* out, const float* in, const float* weight, int64_t M, int64_t N, int64_t K) {
  gemm(false, true, M, N, K, 1.0f, in, K, weight, K, 0.0f, out, N);
}

void matmul_backward_input(float* din, const float* dout, const float* weight, int64_t M, int64_t N,
                           int64_t K, float beta) {
  gemm(false, false, M, K, N, 1.0f, dout, N, weight, K, beta, din, K);
}

void matmul_backward_weight(float* dweight, const float* dout, const float* in, int64_t M, int64_t N,
                            int64_t K, float beta) {
  if (M == 0) return;
  gemm(true, false, N, K, M, 1.0f, dout, N, in, K, beta, dweight, K);
}

}  // namespace bertft
