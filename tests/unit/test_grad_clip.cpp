#include <gtest/gtest.h>

#include <cmath>

#include "training/grad_clip.h"

#include "test_util.h"

namespace bertft {

namespace {

using test::tiny_config;

}  // namespace

TEST(GradClip, NormIsOverTheWholeModel) {
  ModelParams g(tiny_config(), Heads{});
  for (size_t i = 0; i < g.size(); i++) g.data()[i] = 0.5f;
  EXPECT_NEAR(global_grad_norm(g), 0.5 * std::sqrt(static_cast<double>(g.size())), 1e-9);
  g.data()[0] = 3.0f;
  EXPECT_NEAR(global_grad_norm(g), std::sqrt(0.25 * (g.size() - 1) + 9.0), 1e-9);
}

TEST(GradClip, ScalesToMaxNormAndReturnsThePreClipNorm) {
  ModelParams g(tiny_config(), Heads{});
  for (size_t i = 0; i < g.size(); i++) g.data()[i] = (i % 3 == 0 ? -1.0f : 0.25f) * static_cast<float>(i % 7);
  const double before = global_grad_norm(g);
  ASSERT_GT(before, 1.0);
  const float first = g.data()[3];
  EXPECT_DOUBLE_EQ(clip_grad_norm(g, 1.0), before);
  const double coef = 1.0 / (before + 1e-6);
  EXPECT_FLOAT_EQ(g.data()[3], first * static_cast<float>(coef));
  EXPECT_NEAR(global_grad_norm(g), before * coef, 1e-6);
}

TEST(GradClip, LeavesSmallGradientsAndDisabledClippingAlone) {
  ModelParams g(tiny_config(), Heads{});
  for (size_t i = 0; i < g.size(); i++) g.data()[i] = 1e-3f;
  const double norm = global_grad_norm(g);
  EXPECT_DOUBLE_EQ(clip_grad_norm(g, 10.0), norm);
  EXPECT_EQ(g.data()[5], 1e-3f);
  EXPECT_DOUBLE_EQ(clip_grad_norm(g, 0.0), norm);  // disabled even though norm > 0
  EXPECT_DOUBLE_EQ(clip_grad_norm(g, 1e-4), norm);  // now clipped, to just under max_norm
  EXPECT_NEAR(global_grad_norm(g), 1e-4 * norm / (norm + 1e-6), 1e-10);
}

}  // namespace bertft
