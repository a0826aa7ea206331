#include "kernels/linear.h"

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

}  // namespace bertft
