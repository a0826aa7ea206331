// The masked-LM loss kernel against a float64 computation of the same formulas.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/vocab_crossentropy.h"
#include "test_util.h"

namespace bertft {
namespace {

TEST(VocabCrossentropy, LossGradientAndArgmaxMatchFloat64) {
  const int64_t M = 37, V = 3001;  // V not a multiple of the kernel's block or vector width
  const float scale = 0.5f;
  std::vector<float> logits = test::random_vector(M * V, 11, 4.0f);
  std::vector<int32_t> targets(M);
  int64_t want_correct = 0;
  for (int64_t m = 0; m < M; m++) {
    const float* row = logits.data() + m * V;
    const auto argmax = static_cast<int32_t>(std::max_element(row, row + V) - row);
    // Every third row's target is its largest logit, so the count is checked against a known 13.
    targets[m] = m % 3 == 0 ? argmax : static_cast<int32_t>((m * 977) % V);
    want_correct += targets[m] == argmax;
  }
  std::vector<double> want_grad(M * V);
  double want_loss = 0;
  for (int64_t m = 0; m < M; m++) {
    const float* row = logits.data() + m * V;
    const double max = *std::max_element(row, row + V);
    double sum = 0;
    for (int64_t v = 0; v < V; v++) sum += std::exp(row[v] - max);
    want_loss += std::log(sum) + max - row[targets[m]];
    for (int64_t v = 0; v < V; v++)
      want_grad[m * V + v] = scale * (std::exp(row[v] - max) / sum - (v == targets[m])) / M;
  }
  const VocabLoss got = vocab_crossentropy_forward_backward(logits.data(), targets.data(), M, V, scale);
  EXPECT_EQ(got.correct, want_correct);
  EXPECT_EQ(want_correct, 13);
  EXPECT_NEAR(got.loss_sum, want_loss, 1e-5 * want_loss);
  double worst = 0;
  for (int64_t i = 0; i < M * V; i++) worst = std::max(worst, std::abs(logits[i] - want_grad[i]));
  EXPECT_LT(worst, 1e-7);  // gradients are at most scale / M ≈ 0.0135
}

}  // namespace
}  // namespace bertft
