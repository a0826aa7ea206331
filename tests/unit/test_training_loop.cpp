// The loop `train` and `pretrain` share, driven by a scripted task on one process: which examples
// each step sees, when it evaluates, checkpoints and stops. The tasks themselves are tested end to end
// by tests/integration/test_train_* and test_pretrain_cli, data parallelism by test_mpi_parity.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "distributed/communicator.h"
#include "training/grad_clip.h"
#include "training/training_loop.h"

#include "temp_files.h"
#include "test_util.h"

namespace bertft {

namespace {

namespace fs = std::filesystem;

// Records what the loop asks of it; its loss is the same every step, its evaluations score as scripted.
class ScriptedTask final : public TrainingTask {
 public:
  explicit ScriptedTask(std::vector<double> scores = {}) : scores_(std::move(scores)) {}

  void begin_step(ModelParams& grads) override {
    std::fill(grads.data(), grads.data() + grads.size(), 0.0f);
    steps.emplace_back();
  }
  double fill_micro_batch(std::span<const int64_t> examples, int64_t micro_batch_size, int64_t epoch,
                          GradientReducer&) override {
    steps.back().insert(steps.back().end(), examples.begin(), examples.end());
    epochs.push_back(epoch);
    filled_ = static_cast<double>(examples.size());
    return filled_ / static_cast<double>(micro_batch_size);
  }
  MicroBatchResult forward_backward(ModelParams& grads, const StepOptions& options) override {
    grads.data()[0] += options.grad_scale;
    return {.loss = 0.5, .tokens = 10 * filled_, .counts = {filled_}};
  }
  double gradient_norm(const ModelParams& grads) const override { return global_grad_norm(grads); }
  void add_step_fields(nlohmann::json& entry, const StepCounts& counts) const override { entry["correct"] = counts[0]; }
  std::optional<EvalResult> evaluate() override {
    const double score = scores_.at(evaluated_at.size());
    evaluated_at.push_back(static_cast<int64_t>(steps.size()));
    return EvalResult{.metrics = {{"eval_score", score}}, .score = score};
  }
  void save_model_dir(const std::string& dir) const override {
    fs::create_directories(dir);
    saved.push_back(fs::path(dir).filename().string());
  }

  std::vector<std::vector<int64_t>> steps;  // the examples of each step, in order
  std::vector<int64_t> epochs;              // of each micro-batch
  std::vector<int64_t> evaluated_at;        // steps
  mutable std::vector<std::string> saved;   // directory names: "output" for the best model

 private:
  std::vector<double> scores_;
  double filled_ = 0;
};

class TrainingLoopTest : public test::TempFilesTest {
 protected:
  // 10 examples in batches of 4, two micro-batches a step: steps of 8 and 2 examples each epoch.
  LoopOptions options(double epochs) const {
    LoopOptions o;
    o.name = "test";
    o.output_dir = (dir_ / "output").string();
    o.examples = 10;
    o.batch_size = 4;
    o.grad_accum_steps = 2;
    o.epochs = epochs;
    o.learning_rate = 1e-3;
    o.max_grad_norm = 1;
    o.seed = 7;
    return o;
  }

  LoopEnd run(const LoopOptions& o, TrainingTask& task) {
    TrainingLoop loop(o, world_communicator(), task, {params_, grads_, optimizer_, state_, log_});
    return loop.run("");
  }

  std::vector<nlohmann::json> logged(const char* key) const {
    std::vector<nlohmann::json> entries;
    for (const nlohmann::json& e : state_.log_history)
      if (e.contains(key)) entries.push_back(e);
    return entries;
  }

  ModelConfig config_ = test::tiny_config(1);
  ModelParams params_{config_, Heads{}}, grads_{config_, Heads{}};
  AdamW optimizer_{params_, {}};
  TrainerState state_;
  RunLog log_{""};
};

TEST_F(TrainingLoopTest, EachEpochSeesEveryExampleOnceInItsOwnShuffle) {
  ScriptedTask task;
  LoopOptions o = options(2);
  o.eval_strategy = EvalStrategy::No;
  run(o, task);
  ASSERT_EQ(task.steps.size(), 4u);
  EXPECT_EQ(state_.global_step, 4);
  EXPECT_EQ(state_.epoch, 2);
  for (int64_t epoch = 0; epoch < 2; epoch++) {
    std::vector<int64_t> seen = task.steps[2 * epoch];
    EXPECT_EQ(seen.size(), 8u);
    seen.insert(seen.end(), task.steps[2 * epoch + 1].begin(), task.steps[2 * epoch + 1].end());
    EXPECT_EQ(seen, epoch_order(10, 7, epoch, true)) << "epoch " << epoch;
  }
  EXPECT_NE(task.steps[0], task.steps[2]);
  EXPECT_EQ(task.epochs, (std::vector<int64_t>{0, 0, 0, 1, 1, 1}));
}

TEST_F(TrainingLoopTest, LogsEveryStepWithTheTasksFields) {
  ScriptedTask task;
  LoopOptions o = options(1);
  o.eval_strategy = EvalStrategy::No;
  run(o, task);
  const std::vector<nlohmann::json> steps = logged("loss");
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0]["step"], 1);
  EXPECT_DOUBLE_EQ(steps[0]["epoch"].get<double>(), 2.0 / 3);
  EXPECT_DOUBLE_EQ(steps[0]["loss"].get<double>(), 0.5);
  EXPECT_EQ(steps[0]["correct"], 8);
  EXPECT_EQ(steps[1]["correct"], 2);
  EXPECT_DOUBLE_EQ(steps[1]["epoch"].get<double>(), 1.0);
  for (const char* key : {"learning_rate", "grad_norm", "seconds"}) EXPECT_TRUE(steps[0].contains(key)) << key;
  // Each micro-batch's gradient weighs its share of the micro-batch over the accumulation.
  EXPECT_DOUBLE_EQ(steps[0]["grad_norm"].get<double>(), 1.0);
}

TEST_F(TrainingLoopTest, KeepsTheBestModelAndStopsEarlyWithACheckpoint) {
  ScriptedTask task({0.5, 0.6, 0.55, 0.58, 0.9});
  LoopOptions o = options(3);
  o.eval_strategy = EvalStrategy::Steps;
  o.eval_steps = 1;
  o.has_validation = true;
  o.best = BestModel{.metric = "score", .higher_is_better = true, .patience = 2};
  run(o, task);
  EXPECT_EQ(task.evaluated_at, (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(state_.global_step, 4);
  EXPECT_EQ(state_.best_step, 2);
  EXPECT_DOUBLE_EQ(state_.best_metric, 0.6);
  EXPECT_EQ(logged("eval_score").size(), 4u);
  // The best model goes to the output directory; a checkpoint follows every evaluation, two kept.
  const std::vector<std::string> saved = task.saved;
  EXPECT_EQ(std::count(saved.begin(), saved.end(), "output"), 2);
  std::vector<int64_t> kept;
  for (const auto& [step, path] : list_checkpoints(o.output_dir)) kept.push_back(step);
  EXPECT_EQ(kept, (std::vector<int64_t>{3, 4}));
}

TEST_F(TrainingLoopTest, ABudgetStopsWithACheckpointAndTheNextRunContinues) {
  ScriptedTask first;
  LoopOptions o = options(3);
  o.eval_strategy = EvalStrategy::No;
  o.save_steps = 5;
  o.budget = Budget{.max_seconds = 0, .stop_at_step = 3};
  const LoopEnd stopped = run(o, first);
  EXPECT_TRUE(stopped.at_stop_step);
  EXPECT_FALSE(stopped.out_of_time);
  EXPECT_EQ(state_.global_step, 3);
  EXPECT_TRUE(fs::is_directory(fs::path(o.output_dir) / "checkpoint-3"));

  ScriptedTask again;
  EXPECT_TRUE(run(o, again).at_stop_step);
  EXPECT_TRUE(again.steps.empty());

  ScriptedTask rest;
  o.budget->stop_at_step = 0;
  EXPECT_FALSE(run(o, rest).at_stop_step);
  EXPECT_EQ(rest.steps.size(), 3u);
  EXPECT_EQ(state_.global_step, 6);
  const std::vector<int64_t> last_epoch = epoch_order(10, 7, 2, true);
  EXPECT_EQ(rest.steps.back(), (std::vector<int64_t>(last_epoch.begin() + 8, last_epoch.end())));
}

}  // namespace

}  // namespace bertft
