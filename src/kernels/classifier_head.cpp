#include "kernels/classifier_head.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "kernels/activation.h"
#include "kernels/linear.h"
#include "kernels/vector_math.h"

namespace bertft {

void pooler_forward(float* pooled, const float* cls, const float* weight, const float* bias,
                    int64_t B, int64_t H) {
  linear_forward(pooled, cls, weight, bias, B, H, H);
  tanh_forward(pooled, pooled, B * H);
}

void classifier_forward(float* logits, const float* pooled, const float* weight, const float* bias,
                        int64_t B, int64_t H, int64_t C) {
  linear_forward(logits, pooled, weight, bias, B, C, H);
}

void softmax_forward(float* probs, const float* logits, int64_t B, int64_t C) {
  for (int64_t b = 0; b < B; b++) {
    float* row = probs + b * C;
    if (row != logits + b * C)
      for (int64_t c = 0; c < C; c++) row[c] = logits[b * C + c];
    softmax_inplace(row, static_cast<int>(C));
  }
}

void mean_softmax_forward(float* probs, const float* logits, int64_t W, int64_t C) {
  std::fill(probs, probs + C, 0.0f);
  for (int64_t w = 0; w < W; w++) {
    const float* row = logits + w * C;
    const float max = *std::max_element(row, row + C);
    double sum = 0.0;
    for (int64_t c = 0; c < C; c++) sum += std::exp(static_cast<double>(row[c] - max));
    for (int64_t c = 0; c < C; c++)
      probs[c] += static_cast<float>(std::exp(static_cast<double>(row[c] - max)) / (sum * static_cast<double>(W)));
  }
}

namespace {

// The row's max and sum of exp(logit - max), in double: logsumexp = max + log(sum).
std::pair<double, double> max_and_exp_sum(const float* row, int64_t C) {
  double max = row[0];
  for (int64_t c = 1; c < C; c++) max = std::max<double>(max, row[c]);
  double sum = 0.0;
  for (int64_t c = 0; c < C; c++) sum += std::exp(static_cast<double>(row[c]) - max);
  return {max, sum};
}

}  // namespace

void mean_window_logits(float* text_logits, const float* logits, int64_t W, int64_t C) {
  if (W == 1) {
    std::copy_n(logits, C, text_logits);
    return;
  }
  // log_softmax(logits[w])[c] = logits[w, c] - logsumexp(logits[w]); then logsumexp over w, minus log W.
  std::vector<double> logsumexp(W);
  for (int64_t w = 0; w < W; w++) {
    const auto [max, sum] = max_and_exp_sum(logits + w * C, C);
    logsumexp[w] = max + std::log(sum);
  }
  for (int64_t c = 0; c < C; c++) {
    double max = -INFINITY;
    for (int64_t w = 0; w < W; w++) max = std::max(max, logits[w * C + c] - logsumexp[w]);
    double sum = 0.0;
    for (int64_t w = 0; w < W; w++) sum += std::exp(logits[w * C + c] - logsumexp[w] - max);
    text_logits[c] = static_cast<float>(max + std::log(sum / static_cast<double>(W)));
  }
}

namespace {

// target(b, c): the probability of class c for row b.
template <typename Target>
float crossentropy_forward_with(const float* logits, int64_t B, int64_t C, Target target) {
  double total = 0.0;
  for (int64_t b = 0; b < B; b++) {
    const float* row = logits + b * C;
    const auto [max, sum] = max_and_exp_sum(row, C);
    const double logsumexp = max + std::log(sum);
    for (int64_t c = 0; c < C; c++) {
      const double q = target(b, c);
      if (q != 0.0) total += q * (logsumexp - row[c]);
    }
  }
  return B > 0 ? static_cast<float>(total / static_cast<double>(B)) : 0.0f;
}

template <typename Target>
void crossentropy_backward_with(float* dlogits, const float* logits, int64_t B, int64_t C, float scale, Target target) {
  const double factor = static_cast<double>(scale) / static_cast<double>(B);
  for (int64_t b = 0; b < B; b++) {
    const float* row = logits + b * C;
    float* d = dlogits + b * C;
    const auto [max, sum] = max_and_exp_sum(row, C);
    for (int64_t c = 0; c < C; c++) {
      const double p = std::exp(static_cast<double>(row[c]) - max) / sum;
      d[c] = static_cast<float>(factor * (p - target(b, c)));
    }
  }
}

}  // namespace

float crossentropy_forward(const float* logits, const int32_t* labels, int64_t B, int64_t C) {
  return crossentropy_forward_with(logits, B, C, [labels](int64_t b, int64_t c) { return c == labels[b] ? 1.0 : 0.0; });
}

void crossentropy_backward(float* dlogits, const float* logits, const int32_t* labels, int64_t B,
                           int64_t C, float scale) {
  crossentropy_backward_with(dlogits, logits, B, C, scale,
                             [labels](int64_t b, int64_t c) { return c == labels[b] ? 1.0 : 0.0; });
}

float crossentropy_soft_forward(const float* logits, const float* targets, int64_t B, int64_t C) {
  return crossentropy_forward_with(logits, B, C,
                                   [targets, C](int64_t b, int64_t c) { return static_cast<double>(targets[b * C + c]); });
}

void crossentropy_soft_backward(float* dlogits, const float* logits, const float* targets, int64_t B, int64_t C,
                                float scale) {
  crossentropy_backward_with(dlogits, logits, B, C, scale,
                             [targets, C](int64_t b, int64_t c) { return static_cast<double>(targets[b * C + c]); });
}

void classifier_backward(float* dpooled, float* dweight, float* dbias, const float* dlogits,
                         const float* pooled, const float* weight, int64_t B, int64_t H, int64_t C) {
  linear_backward(dpooled, dweight, dbias, dlogits, pooled, weight, B, C, H);
}

void pooler_backward(float* dcls, float* dweight, float* dbias, float* dpooled, const float* pooled,
                     const float* cls, const float* weight, int64_t B, int64_t H) {
  tanh_backward(dpooled, dpooled, pooled, B * H);
  linear_backward(dcls, dweight, dbias, dpooled, cls, weight, B, H, H);
}

}  // namespace bertft
