#include "training/grad_clip.h"

#include <cmath>
#include <cstddef>

namespace bertft {

namespace {

double sum_of_squares(const float* g, ptrdiff_t n) {
  double sum = 0.0;
#pragma omp parallel for simd schedule(static) reduction(+ : sum)
  for (ptrdiff_t i = 0; i < n; i++) sum += static_cast<double>(g[i]) * static_cast<double>(g[i]);
  return sum;
}

}  // namespace

double global_grad_norm(const float* grads, size_t n) {
  return std::sqrt(sum_of_squares(grads, static_cast<ptrdiff_t>(n)));
}

double global_grad_norm(const ModelParams& grads, const std::vector<int32_t>* touched_word_rows) {
  const float* g = grads.data();
  const ptrdiff_t n = static_cast<ptrdiff_t>(grads.size());
  if (!touched_word_rows || !grads.word_emb) return std::sqrt(sum_of_squares(g, n));
  const TensorSpec* word = grads.find(Slot::WordEmbeddings);
  const ptrdiff_t begin = static_cast<ptrdiff_t>(word->offset), end = begin + static_cast<ptrdiff_t>(word->numel);
  const int64_t H = word->shape[1];
  const std::vector<int32_t>& rows = *touched_word_rows;
  double sum = sum_of_squares(g, begin) + sum_of_squares(g + end, n - end);
  const ptrdiff_t count = static_cast<ptrdiff_t>(rows.size());
#pragma omp parallel for schedule(static) reduction(+ : sum)
  for (ptrdiff_t r = 0; r < count; r++) {
    const float* row = grads.word_emb + rows[r] * H;
    double s = 0.0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < H; i++) s += static_cast<double>(row[i]) * static_cast<double>(row[i]);
    sum += s;
  }
  return std::sqrt(sum);
}

float clip_coefficient(double norm, double max_norm) {
  if (max_norm <= 0.0) return 1.0f;
  const double coef = max_norm / (norm + 1e-6);
  // A non-finite norm gives coef 0 or NaN; torch would scale by it (error_if_nonfinite=False), which
  // poisons the weights. We do the same so a divergence is visible rather than masked: the trainer
  // is the place to decide whether to skip such a step.
  if (!(coef < 1.0) && !std::isnan(coef)) return 1.0f;
  return static_cast<float>(coef);
}

double clip_grad_norm(ModelParams& grads, double max_norm) {
  const double norm = global_grad_norm(grads);
  const float c = clip_coefficient(norm, max_norm);
  if (c == 1.0f) return norm;
  float* g = grads.data();
  const ptrdiff_t n = static_cast<ptrdiff_t>(grads.size());
#pragma omp parallel for simd schedule(static)
  for (ptrdiff_t i = 0; i < n; i++) g[i] *= c;
  return norm;
}

}  // namespace bertft
