#pragma once
// The optimizer-step loop of `train` and `pretrain`: one loop for both, as fastText's supervised,
// cbow and skipgram share one trainThread. It owns the part of Hugging Face's Trainer.train they have
// in common: the step plan and each epoch's example order, the data-parallel micro-batches and the
// gradient sum over the ranks (training/data_parallel.h), the divergence check, clipping, the
// learning-rate schedule and the AdamW step, the log and progress line, the evaluation and
// checkpoint cadence, the best model and early stopping, budgets, and --resume (training/run_files.h).
// A task (TrainingTask) supplies its batches, its forward/backward, its evaluation and its saving.
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/progress.h"
#include "distributed/communicator.h"
#include "distributed/gradient_reducer.h"
#include "model/params.h"
#include "training/adamw.h"
#include "training/data_parallel.h"
#include "model/encoder.h"
#include "training/run_files.h"
#include "training/schedule.h"

namespace bertft {

// Counts a task logs with each step (correct predictions, tokens of a kind, loss sums); the loop sums
// them over the micro-batches of a step and over the ranks.
using StepCounts = std::array<double, 6>;

// This rank's results on its part of a micro-batch; the loop sums them over the micro-batches of a
// step and over the ranks.
struct MicroBatchResult {
  double loss = 0;     // the mean loss over this rank's part (the loop weighs it by the part's share)
  double tokens = 0;   // tokens computed, for the progress line's tokens/s
  StepCounts counts{};
};

// An evaluation on the validation data.
struct EvalResult {
  nlohmann::json metrics;  // logged with the step and epoch: {"eval_loss": ..., ...}
  double score = 0;        // the value of the best-model metric (LoopOptions::best)
};

// What `train` and `pretrain` do differently inside the loop.
class TrainingTask {
 public:
  virtual ~TrainingTask() = default;

  // Before each optimizer step: zeroes the gradients (and what the task counts per step).
  virtual void begin_step(ModelParams& grads) = 0;
  // Fills the micro-batch with this rank's `examples` (indices of the task's training examples, maybe
  // none): its shard of a micro-batch of micro_batch_size examples in `epoch`. Returns their share of
  // the micro-batch's mean loss. Called on every rank, so a share that depends on the other ranks'
  // examples can be summed over the ranks with reducer.sum_values.
  virtual double fill_micro_batch(std::span<const int64_t> examples, int64_t micro_batch_size, int64_t epoch,
                                  GradientReducer& reducer) = 0;
  // Forward and backward over the micro-batch filled last (it has examples); accumulates
  // options.grad_scale times the gradients into `grads`.
  virtual MicroBatchResult forward_backward(ModelParams& grads, const StepOptions& options) = 0;
  // After the reducer has summed its dense ranges: sums what they leave out (LoopOptions::sparse_word_rows).
  virtual void sum_sparse_gradients(GradientReducer&, ModelParams&) {}
  // The L2 norm of the summed gradients (training/grad_clip.h); on rank 0 only.
  virtual double gradient_norm(const ModelParams& grads) const = 0;
  // Adds the task's fields to a step's log line (step, epoch, loss, learning_rate, grad_norm and
  // seconds are the loop's); `counts` are MicroBatchResult::counts summed over the step and the ranks.
  virtual void add_step_fields(nlohmann::json&, const StepCounts& /*counts*/) const {}
  // Evaluates the model trained so far (when LoopOptions::has_validation). Called on every rank;
  // returns the result where it is known: every rank, or rank 0 alone when it alone evaluates.
  virtual std::optional<EvalResult> evaluate() = 0;
  // Writes the model (and its tokenizer) into `dir`: a checkpoint's or, for the best model, --output.
  // On rank 0 only.
  virtual void save_model_dir(const std::string& dir) const = 0;
};

enum class EvalStrategy { Epoch, Steps, No };

// --eval-strategy: "epoch", "steps" or "no"; throws Error on anything else.
EvalStrategy parse_eval_strategy(const std::string& name);

// `train`'s best model (HF's metric_for_best_model and EarlyStoppingCallback): written to the output
// directory at each evaluation that improves on the best score; after `patience` evaluations without
// improvement (0: never) training stops. Without save_to_output (--load-best-model-at-end false) the best
// is only tracked and the task writes its last model there itself.
struct BestModel {
  std::string metric;
  bool higher_is_better = true;
  int patience = 0;
  bool save_to_output = true;
};

// `pretrain`'s budgets, which may change between resumed runs: the run stops, with a checkpoint, at
// the first step that reaches either; the schedule still ends at the planned last step.
struct Budget {
  double max_seconds = 0;    // training time over all resumed runs; 0: no limit
  int64_t stop_at_step = 0;  // 0: none
};

struct LoopOptions {
  std::string name;            // the progress line's label: "train", "pretrain"
  std::string output_dir;      // checkpoints (and the best model) are written here
  int64_t examples = 0;        // training examples (or sequences) per epoch
  int batch_size = 1;
  int grad_accum_steps = 1;
  double epochs = 0;
  int64_t max_steps = 0;       // 0: epochs x steps per epoch
  LrSchedule schedule = LrSchedule::Linear;
  double learning_rate = 0;
  int64_t warmup_steps = 0;
  double warmup_ratio = 0;
  double max_grad_norm = 0;
  uint64_t seed = 0;
  bool shuffle = true;
  StepOptions step_options;    // dropout, a frozen encoder; the loop sets the rest per micro-batch
  // The task's steps write only some word-embedding rows (ClassifierStep): the all-reduce leaves the
  // word embeddings out and the task sums the rows it wrote (TrainingTask::sum_sparse_gradients).
  bool sparse_word_rows = false;
  EvalStrategy eval_strategy = EvalStrategy::Steps;
  int64_t eval_steps = 1;
  bool has_validation = false;  // without, the evaluation cadence still sets the checkpoints'
  int64_t save_steps = 0;       // 0: a checkpoint at every evaluation
  int save_total_limit = 2;
  double bucket_mb = 8;
  std::optional<BestModel> best;
  // Rank 0's clock is broadcast after every step of a run with a budget, so that every rank stops at
  // the same step.
  std::optional<Budget> budget;
  // TrainOptions::on_log and between_steps (training/trainer.h); on_log on rank 0 only.
  std::function<void(const nlohmann::json&)> on_log;
  std::function<void()> between_steps;
};

// The options `train` and `pretrain` spell alike (TrainOptions, PretrainOptions); the task sets the rest.
template <typename RunOptions>
LoopOptions shared_loop_options(const RunOptions& o) {
  LoopOptions loop;
  loop.output_dir = o.output_dir;
  loop.batch_size = o.batch_size;
  loop.grad_accum_steps = o.grad_accum_steps;
  loop.epochs = o.epochs;
  loop.max_steps = o.max_steps;
  loop.schedule = parse_lr_schedule(o.lr_scheduler);
  loop.learning_rate = o.learning_rate;
  loop.warmup_steps = o.warmup_steps;
  loop.warmup_ratio = o.warmup_ratio;
  loop.max_grad_norm = o.max_grad_norm;
  loop.seed = o.seed;
  loop.eval_steps = o.eval_steps;
  loop.save_steps = o.save_steps;
  loop.save_total_limit = o.save_total_limit;
  loop.bucket_mb = o.bucket_mb;
  return loop;
}

struct LoopPlan : StepPlan {
  int64_t warmup_steps = 0;
  int max_shard_examples = 0;  // the most examples of a micro-batch one rank computes
};

// What the loop advances: the task's parameters, their gradients and optimizer, and the run's state
// (on rank 0, a resumed checkpoint's) and log.
struct TrainingRun {
  ModelParams& params;
  ModelParams& grads;
  AdamW& optimizer;
  TrainerState& state;
  const RunLog& log;
};

// How the loop ended, besides at the planned last step or by early stopping.
struct LoopEnd {
  bool out_of_time = false;    // Budget::max_seconds was reached (perhaps at the last step anyway)
  bool at_stop_step = false;   // Budget::stop_at_step was reached
};

// Under MPI every rank runs the loop over its shard of each micro-batch; rank 0 alone writes files.
class TrainingLoop {
 public:
  // Plans the steps: plan() is known before run(), to size the task's buffers by.
  TrainingLoop(LoopOptions options, const Communicator& comm, TrainingTask& task, TrainingRun run);
  const LoopPlan& plan() const { return plan_; }

  // Trains from the state (rank 0's: resumed_from names the checkpoint it was read from, "" when the
  // run starts afresh) to the planned last step, early stopping or the budget.
  LoopEnd run(const std::string& resumed_from);

 private:
  // An optimizer step's results, summed over the ranks.
  struct Step {
    double loss = 0, tokens = 0, grad_norm = 0, learning_rate = 0;
    StepCounts counts{};
    int micro_batches = 0;
  };

  void start(const std::string& resumed_from);
  Step take_step(const std::vector<int64_t>& order);
  std::array<double, 2 + std::tuple_size_v<StepCounts>> accumulate_gradients(const std::vector<int64_t>& order, int micro);
  void record(const Step& step);
  bool finish_epoch_if_done();
  bool budget_spent();
  bool reached_stop_step() const;
  bool evaluation_due(bool epoch_done, bool last) const;
  bool checkpoint_due(bool evaluated, bool last) const;
  bool evaluate();
  bool keep_if_best(double score);
  void save_checkpoint();
  void finish(bool early_stopped);
  void log(nlohmann::json fields);
  double fractional_epoch() const;

  const LoopOptions options_;
  const Communicator& comm_;
  TrainingTask& task_;
  ModelParams& params_;
  ModelParams& grads_;
  AdamW& optimizer_;
  TrainerState& state_;
  const RunLog& log_;
  LoopPlan plan_;
  LoopEnd end_;

  // For the span of run().
  std::optional<GradientReducer> reducer_;
  std::optional<Progress> progress_;
  StepClock clock_;
  StepOptions step_options_;
  double seconds_at_start_ = 0;  // the state's training time when run() started: a resumed run's
  std::chrono::steady_clock::time_point started_;
  double tokens_seen_ = 0;
};

}  // namespace bertft
