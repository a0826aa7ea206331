#include "kernels/vocab_crossentropy.h"

#include <cmath>

#include "common/multiversion.h"
#include "kernels/vector_math.h"

namespace bertft {

BERTFT_HOT_LOOP VocabLoss vocab_crossentropy_forward_backward(float* logits, const int32_t* targets, int64_t M,
                                                              int64_t V, float scale, const float* draws,
                                                              int32_t* sampled) {
  double loss_sum = 0;
  int64_t correct = 0;
  const double row_factor = static_cast<double>(scale) / static_cast<double>(M);
#pragma omp parallel for schedule(static) reduction(+ : loss_sum, correct)
  for (int64_t m = 0; m < M; m++) {
    float* row = logits + m * V;
    int64_t argmax = 0;
    for (int64_t v = 1; v < V; v++)
      if (row[v] > row[argmax]) argmax = v;
    const float max = row[argmax];
    const float target_logit = row[targets[m]];
    // Blocks of fp32 partial sums, added in double: accurate over 10^5 classes yet vectorised.
    double sum = 0;
    constexpr int64_t kBlock = 256;
    for (int64_t begin = 0; begin < V; begin += kBlock) {
      const int64_t end = begin + kBlock < V ? begin + kBlock : V;
      float block = 0;
#pragma omp simd reduction(+ : block)
      for (int64_t v = begin; v < end; v++) {
        row[v] = fast_exp(row[v] - max);
        block += row[v];
      }
      sum += block;
    }
    if (draws) {
      // row[v] holds exp(logit - max) here: the first v whose cumulative share exceeds the draw.
      const double threshold = static_cast<double>(draws[m]) * sum;
      double cumulative = 0;
      int64_t pick = V - 1;
      for (int64_t v = 0; v < V; v++) {
        cumulative += row[v];
        if (cumulative > threshold) {
          pick = v;
          break;
        }
      }
      while (pick > 0 && row[pick] == 0.0f) pick--;  // rounding left the threshold uncrossed
      sampled[m] = static_cast<int32_t>(pick);
    }
    loss_sum += std::log(sum) - static_cast<double>(target_logit - max);
    correct += argmax == targets[m];
    const float factor = static_cast<float>(row_factor / sum);
#pragma omp simd
    for (int64_t v = 0; v < V; v++) row[v] *= factor;
    row[targets[m]] -= static_cast<float>(row_factor);
  }
  return {loss_sum, correct};
}

}  // namespace bertft
