#include "training/schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "common/error.h"

namespace bertft {

LrSchedule parse_lr_schedule(const std::string& name) {
  if (name == "linear") return LrSchedule::Linear;
  if (name == "cosine") return LrSchedule::Cosine;
  if (name == "constant" || name == "constant_with_warmup") return LrSchedule::Constant;
  throw Error("unknown learning-rate schedule '" + name + "' (expected linear, cosine or constant)");
}

const char* lr_schedule_name(LrSchedule schedule) {
  switch (schedule) {
    case LrSchedule::Linear: return "linear";
    case LrSchedule::Cosine: return "cosine";
    case LrSchedule::Constant: return "constant";
  }
  return "?";
}

namespace {

// The lambdas of transformers/optimization.py, term by term (Python floats are IEEE doubles).
double multiplier(LrSchedule schedule, int64_t step, int64_t warmup, int64_t total) {
  const double s = static_cast<double>(step);
  if (step < warmup) return s / static_cast<double>(std::max<int64_t>(1, warmup));
  switch (schedule) {
    case LrSchedule::Linear:
      return std::max(0.0, static_cast<double>(total - step) /
                               static_cast<double>(std::max<int64_t>(1, total - warmup)));
    case LrSchedule::Cosine: {
      const double progress =
          static_cast<double>(step - warmup) / static_cast<double>(std::max<int64_t>(1, total - warmup));
      const double num_cycles = 0.5;
      // Python evaluates math.pi * float(num_cycles) * 2.0 * progress left to right.
      return std::max(0.0, 0.5 * (1.0 + std::cos(std::numbers::pi * num_cycles * 2.0 * progress)));
    }
    case LrSchedule::Constant:
      return 1.0;
  }
  return 1.0;
}

}  // namespace

double learning_rate_at(LrSchedule schedule, double base_lr, int64_t step, int64_t warmup_steps,
                        int64_t total_steps) {
  // LambdaLR: base_lr * lambda(step).
  return base_lr * multiplier(schedule, step, warmup_steps, total_steps);
}

StepPlan plan_steps(int64_t examples, int64_t batch_size, int64_t grad_accum_steps, double epochs, int64_t max_steps) {
  StepPlan plan{};
  plan.batches_per_epoch = (examples + batch_size - 1) / batch_size;
  plan.steps_per_epoch = (plan.batches_per_epoch + grad_accum_steps - 1) / grad_accum_steps;
  plan.total_steps =
      max_steps > 0 ? max_steps : static_cast<int64_t>(std::ceil(epochs * static_cast<double>(plan.steps_per_epoch)));
  return plan;
}

int64_t resolve_warmup_steps(int64_t warmup_steps, double warmup_ratio, int64_t total_steps) {
  if (warmup_steps > 0) return warmup_steps;
  return static_cast<int64_t>(std::ceil(static_cast<double>(total_steps) * warmup_ratio));
}

}  // namespace bertft
