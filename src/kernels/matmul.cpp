#include "kernels/matmul.h"

#include <dnnl.h>

#include <stdexcept>
#include <string>

namespace bertft {

void matmul_forward(float* out, const float* in, const float* weight, int64_t M, int64_t N, int64_t K) {
  if (M == 0 || N == 0) return;
  const dnnl_status_t status = dnnl_sgemm('N', 'T', M, N, K, 1.0f, in, K, weight, K, 0.0f, out, N);
  if (status != dnnl_success)
    throw std::runtime_error("dnnl_sgemm failed with status " + std::to_string(static_cast<int>(status)));
}

}  // namespace bertft
