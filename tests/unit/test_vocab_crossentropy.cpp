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

TEST(VocabCrossentropy, SamplesByTheInverseOfTheDistributionFunction) {
  const int64_t M = 3, V = 700;
  std::vector<float> logits = test::random_vector(M * V, 5, 3.0f);
  const std::vector<float> original = logits;
  // Each draw at the middle of a class's probability bin, computed in double: that class must come out.
  const int32_t want[M] = {0, 345, 699};
  std::vector<float> draws(M);
  for (int64_t m = 0; m < M; m++) {
    const float* row = original.data() + m * V;
    const double max = *std::max_element(row, row + V);
    double sum = 0, below = 0;
    for (int64_t v = 0; v < V; v++) sum += std::exp(row[v] - max);
    for (int64_t v = 0; v < want[m]; v++) below += std::exp(row[v] - max);
    draws[m] = static_cast<float>((below + std::exp(row[want[m]] - max) / 2) / sum);
  }
  std::vector<int32_t> targets = {1, 2, 3}, sampled(M, -1);
  const VocabLoss with = vocab_crossentropy_forward_backward(logits.data(), targets.data(), M, V, 1.0f, draws.data(),
                                                             sampled.data());
  EXPECT_EQ(sampled, std::vector<int32_t>(want, want + M));
  // Sampling leaves the loss and the gradient as they are.
  std::vector<float> plain = original;
  const VocabLoss without = vocab_crossentropy_forward_backward(plain.data(), targets.data(), M, V, 1.0f);
  EXPECT_EQ(with.loss_sum, without.loss_sum);
  EXPECT_EQ(logits, plain);
}

TEST(VocabCrossentropy, SampleFrequenciesFollowTheSoftmax) {
  const int64_t V = 5, M = 20000;
  const float row[V] = {0.0f, 1.0f, -1.0f, 2.0f, 0.5f};
  std::vector<float> logits(M * V), draws(M);
  for (int64_t m = 0; m < M; m++) {
    std::copy(row, row + V, logits.begin() + m * V);
    draws[m] = (static_cast<float>(m) + 0.5f) / M;  // evenly spread: frequencies exact to 1 / M
  }
  std::vector<int32_t> targets(M, 0), sampled(M);
  vocab_crossentropy_forward_backward(logits.data(), targets.data(), M, V, 0.0f, draws.data(), sampled.data());
  double sum = 0;
  for (float x : row) sum += std::exp(x);
  for (int32_t v = 0; v < V; v++) {
    const double share = static_cast<double>(std::count(sampled.begin(), sampled.end(), v)) / M;
    EXPECT_NEAR(share, std::exp(row[v]) / sum, 2e-4) << v;
  }
}

}  // namespace
}  // namespace bertft
