#pragma once
// What `train` and `pretrain` share to train data-parallel over a Communicator (docs/distributed.md).
// Every rank holds the whole model and optimizer and computes its shard of each global batch
// (shard_of); the gradients are summed over the ranks (GradientReducer), so every rank takes the
// same optimizer step and the parameters stay identical. Rank 0 alone reads checkpoints, evaluates,
// logs and writes files; it hands its parameters (and a resumed run's state) to the others first.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "distributed/communicator.h"
#include "distributed/gradient_reducer.h"
#include "model/params.h"
#include "model/encoder.h"
#include "training/adamw.h"
#include "training/run_files.h"

namespace bertft {

// The gradient ranges summed whole: every tensor the optimizer trains (is_trained) but, with
// word_rows_sparse, the word embeddings (a classifier step writes only the rows of its batch's tokens:
// those are summed by rows, GradientReducer::sum_rows).
std::vector<GradientReducer::Range> dense_gradient_ranges(const ModelParams& grads, bool freeze_encoder,
                                                         bool word_rows_sparse);

// Floats per all-reduce bucket for --bucket-mb (MiB).
size_t bucket_floats(double bucket_mb);

// Rank 0's parameters on every rank and, when rank 0 resumed from a checkpoint, its optimizer
// moments and run state. Returns whether rank 0 resumed.
bool share_from_root(const Communicator& comm, ModelParams& params, AdamW& optimizer, TrainerState& state,
                     bool resumed_here);

// Throws CollectiveError on every rank unless all ranks hold bit-identical parameters after `step`
// (they should by construction; checked where checkpoints are written).
void require_same_parameters(const Communicator& comm, const ModelParams& params, int64_t step);

// The dropout seed of a step on this rank: rank 0 keeps the single-process seed, the others draw
// masks of their own (rather than repeat rank 0's on their shard).
uint64_t rank_dropout_seed(uint64_t step_seed, int rank);

// Micro-batch m (of `micro`) of optimizer step `step` on this rank: its gradients weigh `share` (its
// part of the micro-batch's mean) over the accumulation, its dropout masks are this rank's, and the
// last micro-batch of a data-parallel step starts the all-reduce of each bucket as the backward pass
// finishes it.
void set_micro_batch_options(StepOptions& options, const Communicator& comm, GradientReducer& reducer, double share,
                             int grad_accum_steps, uint64_t seed, int64_t step, int m, int micro);

// Time spent in optimizer steps, for the summary rank 0 prints at the end of a data-parallel run:
// "bertft: data-parallel over K ranks of T threads: N steps, S steps/s; communication X% of step
// time (...)": the share is the time the main thread waited for communication.
class StepClock {
 public:
  void add(double seconds) {
    steps_++;
    seconds_ += seconds;
  }
  void report(const Communicator& comm, const GradientReducer& reducer, int threads) const;

 private:
  int64_t steps_ = 0;
  double seconds_ = 0;
};

}  // namespace bertft
