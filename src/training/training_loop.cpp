#include "training/training_loop.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <omp.h>

#include "common/error.h"
#include "common/io.h"
#include "training/grad_clip.h"

namespace bertft {

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

}  // namespace

EvalStrategy parse_eval_strategy(const std::string& name) {
  if (name == "epoch") return EvalStrategy::Epoch;
  if (name == "steps") return EvalStrategy::Steps;
  if (name == "no") return EvalStrategy::No;
  throw Error("--eval-strategy must be epoch, steps or no, not '" + name + "'");
}

TrainingLoop::TrainingLoop(LoopOptions options, const Communicator& comm, TrainingTask& task, TrainingRun run)
    : options_(std::move(options)),
      comm_(comm),
      task_(task),
      params_(run.params),
      grads_(run.grads),
      optimizer_(run.optimizer),
      state_(run.state),
      log_(run.log) {
  static_cast<StepPlan&>(plan_) = plan_steps(options_.examples, options_.batch_size, options_.grad_accum_steps,
                                             options_.epochs, options_.max_steps);
  plan_.warmup_steps = resolve_warmup_steps(options_.warmup_steps, options_.warmup_ratio, plan_.total_steps);
  plan_.max_shard_examples = (options_.batch_size + comm_.size() - 1) / comm_.size();
}

LoopEnd TrainingLoop::run(const std::string& resumed_from) {
  start(resumed_from);
  end_.at_stop_step = reached_stop_step();
  bool stop = end_.at_stop_step, early_stopped = false;
  std::vector<int64_t> order;
  while (!stop && state_.global_step < plan_.total_steps) {
    // Each epoch gets its own shuffle.
    if (order.empty() || state_.batch_in_epoch == 0)
      order = epoch_order(options_.examples, options_.seed, state_.epoch, options_.shuffle);
    record(take_step(order));
    const bool epoch_done = finish_epoch_if_done();
    const bool out_of_budget = budget_spent();
    const bool last = state_.global_step == plan_.total_steps || out_of_budget;
    const bool evaluated = evaluation_due(epoch_done, last);
    early_stopped = evaluated && options_.has_validation && evaluate();
    if (checkpoint_due(evaluated, last) || early_stopped) save_checkpoint();
    stop = out_of_budget || early_stopped;
    if (options_.between_steps) options_.between_steps();
  }
  finish(early_stopped);
  return end_;
}

// Rank 0's parameters, and a resumed run's optimizer and state, on every rank; the output directory
// and log as of the state.
void TrainingLoop::start(const std::string& resumed_from) {
  if (!resumed_from.empty()) note_resume(resumed_from, state_.global_step, plan_.total_steps);
  share_from_root(comm_, params_, optimizer_, state_, !resumed_from.empty());
  if (comm_.is_root()) make_directories(options_.output_dir);
  log_.rewrite(state_);
  reducer_.emplace(comm_, grads_.data(),
                   dense_gradient_ranges(grads_, optimizer_.options().freeze_encoder, options_.sparse_word_rows),
                   bucket_floats(options_.bucket_mb));
  step_options_ = options_.step_options;
  progress_.emplace(options_.name, plan_.total_steps);
  started_ = Clock::now();
  seconds_at_start_ = state_.seconds;
}

// One optimizer step over the next grad_accum_steps micro-batches of `order` (fewer at the end of an
// epoch): each rank computes its shard of each, the gradients and results are summed over the ranks,
// and AdamW steps with the clipped gradients.
TrainingLoop::Step TrainingLoop::take_step(const std::vector<int64_t>& order) {
  const auto step_start = Clock::now();
  const int micro = static_cast<int>(
      std::min<int64_t>(options_.grad_accum_steps, plan_.batches_per_epoch - state_.batch_in_epoch));
  auto sums = accumulate_gradients(order, micro);
  reducer_->finish();
  task_.sum_sparse_gradients(*reducer_, grads_);
  reducer_->sum_values(sums);
  Step step{.loss = sums[0] / micro, .tokens = sums[1], .micro_batches = micro};
  std::copy(sums.begin() + 2, sums.end(), step.counts.begin());
  if (!std::isfinite(step.loss))
    throw CollectiveError(diverged_message(state_.global_step + 1, step.loss, options_.output_dir), comm_.is_root());
  // Computed on rank 0 only: the other ranks' thread counts could round the sum differently, and the
  // clipping must be the same everywhere.
  step.grad_norm = broadcast_value(comm_, comm_.is_root() ? task_.gradient_norm(grads_) : 0.0);
  step.learning_rate =
      learning_rate_at(options_.schedule, options_.learning_rate, state_.global_step, plan_.warmup_steps,
                       plan_.total_steps);
  optimizer_.step(params_, grads_, step.learning_rate, clip_coefficient(step.grad_norm, options_.max_grad_norm));
  clock_.add(seconds_since(step_start));
  return step;
}

// Forward and backward over this rank's shard of each micro-batch of the step. Returns this rank's
// part of the step's results: its share of each micro-batch's mean loss, its tokens and the task's
// counts.
std::array<double, 2 + std::tuple_size_v<StepCounts>> TrainingLoop::accumulate_gradients(
    const std::vector<int64_t>& order, int micro) {
  task_.begin_step(grads_);
  std::array<double, 2 + std::tuple_size_v<StepCounts>> sums{};
  for (int m = 0; m < micro; m++) {
    const int64_t first = (state_.batch_in_epoch + m) * options_.batch_size;
    const int64_t size = std::min<int64_t>(options_.examples - first, options_.batch_size);
    const Shard shard = shard_of(size, comm_.rank(), comm_.size());
    const double share = task_.fill_micro_batch(std::span(order).subspan(first + shard.begin, shard.size()), size,
                                                state_.epoch, *reducer_);
    set_micro_batch_options(step_options_, comm_, *reducer_, share, options_.grad_accum_steps, options_.seed,
                            state_.global_step, m, micro);
    if (shard.size() == 0) continue;
    const MicroBatchResult result = task_.forward_backward(grads_, step_options_);
    sums[0] += share * result.loss;
    sums[1] += result.tokens;
    for (size_t i = 0; i < result.counts.size(); i++) sums[2 + i] += result.counts[i];
  }
  return sums;
}

// The step in the state, the log and the progress line.
void TrainingLoop::record(const Step& step) {
  state_.global_step++;
  state_.batch_in_epoch += step.micro_batches;
  const double seconds = seconds_since(started_);
  state_.seconds = seconds_at_start_ + seconds;
  tokens_seen_ += step.tokens;
  json fields = {{"loss", step.loss}, {"learning_rate", step.learning_rate}, {"grad_norm", step.grad_norm},
                 {"seconds", state_.seconds}};
  task_.add_step_fields(fields, step.counts);
  log(std::move(fields));
  char status[96];
  std::snprintf(status, sizeof status, "epoch %.2f loss %.4f %.0f tok/s", fractional_epoch(), step.loss,
                tokens_seen_ / std::max(seconds, 1e-9));
  if (comm_.is_root()) progress_->update(state_.global_step, status);
}

bool TrainingLoop::finish_epoch_if_done() {
  if (state_.batch_in_epoch < plan_.batches_per_epoch) return false;
  state_.epoch++;
  state_.batch_in_epoch = 0;
  return true;
}

bool TrainingLoop::budget_spent() {
  if (!options_.budget) return false;
  end_.out_of_time = broadcast_value(comm_, options_.budget->max_seconds > 0 &&
                                                state_.seconds >= options_.budget->max_seconds);
  end_.at_stop_step = reached_stop_step();
  return end_.out_of_time || end_.at_stop_step;
}

bool TrainingLoop::reached_stop_step() const {
  return options_.budget && options_.budget->stop_at_step > 0 && state_.global_step >= options_.budget->stop_at_step;
}

bool TrainingLoop::evaluation_due(bool epoch_done, bool last) const {
  switch (options_.eval_strategy) {
    case EvalStrategy::Epoch:
      return epoch_done || last;
    case EvalStrategy::Steps:
      return state_.global_step % options_.eval_steps == 0 || last;
    case EvalStrategy::No:
      return false;
  }
  return false;
}

bool TrainingLoop::checkpoint_due(bool evaluated, bool last) const {
  if (options_.save_steps == 0) return evaluated || last;
  return state_.global_step % options_.save_steps == 0 || last;
}

// Evaluates, logs the result and keeps the best model. Returns whether early stopping ends training:
// rank 0's verdict, on every rank.
bool TrainingLoop::evaluate() {
  const std::optional<EvalResult> evaluation = task_.evaluate();
  bool stop = false;
  if (evaluation) {
    log(evaluation->metrics);
    if (options_.best) stop = keep_if_best(evaluation->score);
  }
  return options_.best && broadcast_value(comm_, stop);
}

// A score better than the best so far makes the model the best, saved to the output directory.
// Returns whether early stopping's patience has run out.
bool TrainingLoop::keep_if_best(double score) {
  const BestModel& best = *options_.best;
  const bool better = std::isnan(state_.best_metric) ||
                      (best.higher_is_better ? score > state_.best_metric : score < state_.best_metric);
  if (better) {
    state_.best_metric = score;
    state_.best_step = state_.global_step;
    state_.evals_without_improvement = 0;
    if (best.save_to_output) task_.save_model_dir(options_.output_dir);
  } else {
    state_.evals_without_improvement++;
  }
  return best.patience > 0 && state_.evals_without_improvement >= best.patience;
}

void TrainingLoop::save_checkpoint() {
  require_same_parameters(comm_, params_, state_.global_step);
  if (comm_.is_root())
    bertft::save_checkpoint(options_.output_dir, state_, optimizer_, options_.save_total_limit,
                            [this](const std::string& dir) { task_.save_model_dir(dir); });
}

void TrainingLoop::finish(bool early_stopped) {
  if (comm_.is_root()) {
    progress_->finish();
    if (early_stopped)
      std::fprintf(stderr, "bertft: notice: early stopping: no improvement of %s in %d evaluations\n",
                   options_.best->metric.c_str(), options_.best->patience);
  }
  clock_.report(comm_, *reducer_, omp_get_max_threads());
}

// `fields` with the step and epoch, into the log (rank 0's file) and the state's history.
void TrainingLoop::log(json fields) {
  fields["step"] = state_.global_step;
  fields["epoch"] = fractional_epoch();
  log_.append(state_, fields);
  if (options_.on_log && comm_.is_root()) options_.on_log(fields);
}

double TrainingLoop::fractional_epoch() const {
  return state_.epoch + static_cast<double>(state_.batch_in_epoch) / plan_.batches_per_epoch;
}

}  // namespace bertft
