// ELECTRA's replaced-token head kernels against float64 computations of the same formulas.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/token_logit.h"
#include "test_util.h"

namespace bertft {
namespace {

TEST(TokenLogit, ForwardAndBackwardMatchFloat64) {
  const int64_t T = 29, H = 37;  // H not a multiple of the kernel's column block
  const std::vector<float> x = test::random_vector(T * H, 1), w = test::random_vector(H, 2), dlogits =
      test::random_vector(T, 3);
  const float b = 0.25f;
  std::vector<float> logits(T), dx(T * H), dw(H, 1.0f);  // dw accumulates onto 1
  float db = 2.0f;
  token_logit_forward(logits.data(), x.data(), w.data(), &b, T, H);
  token_logit_backward(dx.data(), dw.data(), &db, dlogits.data(), x.data(), w.data(), T, H);
  double db_want = 2.0;
  for (int64_t t = 0; t < T; t++) {
    double z = b;
    for (int64_t h = 0; h < H; h++) z += static_cast<double>(x[t * H + h]) * w[h];
    EXPECT_NEAR(logits[t], z, 1e-5);
    for (int64_t h = 0; h < H; h++) EXPECT_NEAR(dx[t * H + h], static_cast<double>(dlogits[t]) * w[h], 1e-6);
    db_want += dlogits[t];
  }
  for (int64_t h = 0; h < H; h++) {
    double want = 1.0;
    for (int64_t t = 0; t < T; t++) want += static_cast<double>(dlogits[t]) * x[t * H + h];
    EXPECT_NEAR(dw[h], want, 1e-5);
  }
  EXPECT_NEAR(db, db_want, 1e-5);
}

TEST(TokenLogit, BinaryCrossentropyIsTorchsBceWithLogits) {
  // Large logits of both signs too: the loss must stay finite and exact (log1p(exp(-|z|))).
  const std::vector<float> logits = {-3.0f, 0.0f, 2.5f, 40.0f, -40.0f, 0.7f, -0.2f};
  const std::vector<uint8_t> labels = {0, 1, 1, 0, 0, 1, 0};
  const int64_t T = static_cast<int64_t>(logits.size());
  std::vector<float> dlogits(T);
  const BinaryLoss got = binary_crossentropy_forward_backward(dlogits.data(), logits.data(), labels.data(), T, 3.0f);
  double loss = 0;
  int64_t correct = 0;
  for (int64_t t = 0; t < T; t++) {
    const double z = logits[t], y = labels[t];
    const double p = 1 / (1 + std::exp(-z));
    // -[y log p + (1 - y) log(1 - p)], in the form that stays exact for large |z|.
    loss += std::max(z, 0.0) - z * y + std::log1p(std::exp(-std::abs(z)));
    correct += (z > 0) == (y == 1);
    EXPECT_NEAR(dlogits[t], 3.0 * (p - y) / T, 1e-7) << t;
  }
  EXPECT_NEAR(got.loss_sum, loss, 1e-6);
  EXPECT_NEAR(got.loss_sum, 40.0 + 3.0 + 0.0, 3.0);  // the confidently wrong token dominates
  EXPECT_EQ(got.correct, correct);
  EXPECT_EQ(correct, 5);  // 0 with label 1 and 40 with label 0 are wrong
}

}  // namespace
}  // namespace bertft
