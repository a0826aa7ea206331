#include "training/grad_clip.h"

#include <cmath>
#include <cstddef>

namespace bertft {

double global_grad_norm(const BertParams& grads) {
  const float* g = grads.data();
  const ptrdiff_t n = static_cast<ptrdiff_t>(grads.size());
  double sum = 0.0;
#pragma omp parallel for simd schedule(static) reduction(+ : sum)
  for (ptrdiff_t i = 0; i < n; i++) sum += static_cast<double>(g[i]) * static_cast<double>(g[i]);
  return std::sqrt(sum);
}

double clip_grad_norm(BertParams& grads, double max_norm) {
  const double norm = global_grad_norm(grads);
  if (max_norm <= 0.0) return norm;
  const double coef = max_norm / (norm + 1e-6);
  // A non-finite norm gives coef 0 or NaN; torch would scale by it (error_if_nonfinite=False), which
  // poisons the weights. We do the same so a divergence is visible rather than masked: the trainer
  // is the place to decide whether to skip such a step.
  if (!(coef < 1.0) && !std::isnan(coef)) return norm;
  const float c = static_cast<float>(coef);
  float* g = grads.data();
  const ptrdiff_t n = static_cast<ptrdiff_t>(grads.size());
#pragma omp parallel for simd schedule(static)
  for (ptrdiff_t i = 0; i < n; i++) g[i] *= c;
  return norm;
}

}  // namespace bertft
