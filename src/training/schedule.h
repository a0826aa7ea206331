#pragma once
// Learning-rate schedules, as transformers' optimization.py defines them. The trainer asks for the
// rate of optimizer step k (0-based) before taking it: HF's LambdaLR starts at lambda(0) and is
// stepped after every optimizer.step(), so step k runs with base_lr * lambda(k).
#include <cstdint>
#include <string>

namespace bertft {

enum class LrSchedule { Linear, Cosine, Constant };

// "linear", "cosine", "constant" or "constant_with_warmup" (HF's lr_scheduler_type names). Both
// constant names mean get_constant_schedule_with_warmup: with no warmup it is HF's "constant", and a
// warmup the user asked for is honoured rather than silently dropped. Throws Error on anything else.
LrSchedule parse_lr_schedule(const std::string& name);
const char* lr_schedule_name(LrSchedule schedule);

// base_lr times HF's multiplier at optimizer step `step` (0-based):
//   warmup (all three):  step / max(1, warmup)                      while step < warmup
//   linear:   max(0, (total - step) / max(1, total - warmup))
//   cosine:   max(0, 0.5 * (1 + cos(pi * 0.5 * 2 * progress))),  progress = (step - warmup) / max(1, total - warmup)
//   constant: 1
// Computed in double in the same operation order as the Python lambdas, so the rates are bit-equal.
double learning_rate_at(LrSchedule schedule, double base_lr, int64_t step, int64_t warmup_steps,
                        int64_t total_steps);

// How many batches make an epoch and how many optimizer steps the run takes: an optimizer step per
// grad_accum batches (the last of an epoch may have fewer), then max_steps if > 0, else
// ceil(epochs * steps per epoch), as TrainingArguments' max_steps / num_train_epochs.
struct StepPlan {
  int64_t batches_per_epoch, steps_per_epoch, total_steps;
};
StepPlan plan_steps(int64_t examples, int64_t batch_size, int64_t grad_accum_steps, double epochs, int64_t max_steps);

// TrainingArguments.get_warmup_steps: an explicit warmup_steps > 0 wins, else ceil(ratio * total).
int64_t resolve_warmup_steps(int64_t warmup_steps, double warmup_ratio, int64_t total_steps);

}  // namespace bertft
