#include "training/data_parallel.h"

#include <cstdio>

#include "common/error.h"
#include "kernels/dropout.h"

namespace bertft {

std::vector<GradientReducer::Range> dense_gradient_ranges(const ModelParams& grads,
                                                         bool freeze_encoder, bool word_rows_sparse) {
  std::vector<GradientReducer::Range> ranges;
  for (const TensorSpec& spec : grads.specs()) {
    if ((word_rows_sparse && spec.role == Role::WordEmbedding) || !is_trained(spec, freeze_encoder)) continue;
    if (!ranges.empty() && ranges.back().end == spec.offset)
      ranges.back().end += spec.numel;
    else
      ranges.push_back({spec.offset, spec.offset + spec.numel});
  }
  return ranges;
}

size_t bucket_floats(double bucket_mb) {
  return static_cast<size_t>(bucket_mb * 1024 * 1024 / sizeof(float));
}

bool share_from_root(const Communicator& comm, ModelParams& params, AdamW& optimizer, TrainerState& state,
                     bool resumed_here) {
  if (comm.size() == 1) return resumed_here;
  broadcast_floats(comm, std::span(params.data(), params.size()));
  const bool resumed = broadcast_value(comm, resumed_here);
  if (!resumed) return false;
  std::vector<float> exp_avg = optimizer.exp_avg(), exp_avg_sq = optimizer.exp_avg_sq();
  broadcast_floats(comm, exp_avg);
  broadcast_floats(comm, exp_avg_sq);
  optimizer.set_state(std::move(exp_avg), std::move(exp_avg_sq), broadcast_value(comm, optimizer.steps_taken()));
  std::string text = comm.is_root() ? state.to_json().dump() : std::string();
  broadcast_string(comm, text);
  if (!comm.is_root()) state = TrainerState::from_json(nlohmann::json::parse(text), "rank 0's trainer state");
  return true;
}

void require_same_parameters(const Communicator& comm, const ModelParams& params, int64_t step) {
  require_same(comm, fingerprint(params.data(), params.size() * sizeof(float)),
               "the parameters after step " + std::to_string(step) +
                   " (their updates drifted apart: are the ranks' bertft builds or CPUs different?)");
}

uint64_t rank_dropout_seed(uint64_t step_seed, int rank) {
  return rank == 0 ? step_seed : dropout_step_seed(step_seed, static_cast<uint64_t>(rank));
}

void StepClock::report(const Communicator& comm, const GradientReducer& reducer, int threads) const {
  if (comm.size() == 1 || !comm.is_root() || steps_ == 0) return;
  const double wait = reducer.wait_seconds();
  std::fprintf(stderr,
               "bertft: notice: data-parallel over %d ranks of %d thread%s: %lld steps, %.3f steps/s; communication %.1f%% of "
               "step time (waited %.2f s of %.2f s; all-reduces in flight %.2f s, partly behind the backward pass; "
               "%zu floats in %zu buckets)\n",
               comm.size(), threads, threads == 1 ? "" : "s", static_cast<long long>(steps_), steps_ / seconds_,
               100 * wait / seconds_, wait, seconds_, reducer.busy_seconds(), reducer.reduced_floats(),
               reducer.buckets());
}

void set_micro_batch_options(StepOptions& options, const Communicator& comm, GradientReducer& reducer, double share,
                             int grad_accum_steps, uint64_t seed, int64_t step, int m, int micro) {
  options.grad_scale = static_cast<float>(share / grad_accum_steps);
  options.dropout_seed =
      rank_dropout_seed(dropout_step_seed(seed, static_cast<uint64_t>(step) * 1024 + m), comm.rank());
  options.on_grads_final = nullptr;
  if (m == micro - 1 && comm.size() > 1)
    options.on_grads_final = [&reducer](const float* first_final) { reducer.final_from(first_final); };
}

}  // namespace bertft
