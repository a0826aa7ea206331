#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "common/error.h"
#include "training/schedule.h"

namespace bertft {

TEST(Schedule, ParsesHfNamesAndRejectsOthers) {
  EXPECT_EQ(parse_lr_schedule("linear"), LrSchedule::Linear);
  EXPECT_EQ(parse_lr_schedule("cosine"), LrSchedule::Cosine);
  EXPECT_EQ(parse_lr_schedule("constant"), LrSchedule::Constant);
  EXPECT_EQ(parse_lr_schedule("constant_with_warmup"), LrSchedule::Constant);
  EXPECT_THROW(parse_lr_schedule("polynomial"), Error);
  EXPECT_THROW(parse_lr_schedule("Linear"), Error);
}

TEST(Schedule, WarmupIsSharedAndStartsAtZero) {
  for (LrSchedule s : {LrSchedule::Linear, LrSchedule::Cosine, LrSchedule::Constant}) {
    EXPECT_EQ(learning_rate_at(s, 2.0, 0, 10, 100), 0.0);
    EXPECT_DOUBLE_EQ(learning_rate_at(s, 2.0, 5, 10, 100), 1.0);
    EXPECT_DOUBLE_EQ(learning_rate_at(s, 2.0, 10, 10, 100), 2.0);  // the peak right after warmup
  }
}

TEST(Schedule, LinearDecaysToZeroAndStaysThere) {
  EXPECT_DOUBLE_EQ(learning_rate_at(LrSchedule::Linear, 1.0, 55, 10, 100), 0.5);
  EXPECT_DOUBLE_EQ(learning_rate_at(LrSchedule::Linear, 1.0, 99, 10, 100), 1.0 / 90);
  EXPECT_EQ(learning_rate_at(LrSchedule::Linear, 1.0, 100, 10, 100), 0.0);
  EXPECT_EQ(learning_rate_at(LrSchedule::Linear, 1.0, 130, 10, 100), 0.0);
  // No warmup: step 0 already runs at the full rate.
  EXPECT_EQ(learning_rate_at(LrSchedule::Linear, 3e-5, 0, 0, 10), 3e-5);
  EXPECT_DOUBLE_EQ(learning_rate_at(LrSchedule::Linear, 1.0, 4, 0, 10), 0.6);
}

TEST(Schedule, CosineIsHalfAPeriod) {
  EXPECT_DOUBLE_EQ(learning_rate_at(LrSchedule::Cosine, 1.0, 55, 10, 100), 0.5);
  EXPECT_NEAR(learning_rate_at(LrSchedule::Cosine, 1.0, 100, 10, 100), 0.0, 1e-16);
  EXPECT_DOUBLE_EQ(learning_rate_at(LrSchedule::Cosine, 1.0, 3, 0, 12), 0.5 * (1 + std::cos(std::numbers::pi * 0.25)));
  // Past the end the cosine would rise again; HF clamps it at max(0, ...) only, so it does rise.
  EXPECT_GT(learning_rate_at(LrSchedule::Cosine, 1.0, 150, 10, 100), 0.0);
}

TEST(Schedule, ConstantAfterWarmup) {
  EXPECT_EQ(learning_rate_at(LrSchedule::Constant, 1e-4, 0, 0, 100), 1e-4);
  EXPECT_EQ(learning_rate_at(LrSchedule::Constant, 1e-4, 500, 10, 100), 1e-4);
}

TEST(Schedule, StepPlanAsTrainingArguments) {
  const StepPlan plan = plan_steps(100, 8, 3, 2.0, 0);  // 13 batches, the last of 4 examples
  EXPECT_EQ(plan.batches_per_epoch, 13);
  EXPECT_EQ(plan.steps_per_epoch, 5);  // 3 + 3 + 3 + 3 + 1 batches
  EXPECT_EQ(plan.total_steps, 10);
  EXPECT_EQ(plan_steps(100, 8, 3, 1.5, 0).total_steps, 8);   // ceil(7.5)
  EXPECT_EQ(plan_steps(100, 8, 3, 2.0, 7).total_steps, 7);   // max_steps wins
  EXPECT_EQ(plan_steps(96, 32, 1, 0.5, 0).total_steps, 2);   // ceil(1.5)
}

TEST(Schedule, WarmupStepsFromRatioAsTrainingArguments) {
  EXPECT_EQ(resolve_warmup_steps(5, 0.5, 100), 5);    // explicit steps win
  EXPECT_EQ(resolve_warmup_steps(0, 0.1, 100), 10);
  EXPECT_EQ(resolve_warmup_steps(0, 0.06, 33), 2);    // ceil(1.98)
  EXPECT_EQ(resolve_warmup_steps(0, 0.1, 101), 11);   // ceil(10.1)
  EXPECT_EQ(resolve_warmup_steps(0, 0.0, 100), 0);
}

}  // namespace bertft
