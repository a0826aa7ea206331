#pragma once
// Sums the gradients of a data-parallel step over the ranks (distributed/communicator.h) while the
// backward pass goes on. The flat gradient array is cut into buckets from its end down, because a
// backward pass finishes the end of the parameter layout (the heads, the last layer) first and the
// embeddings at offset 0 last. The step reports how far its gradients are final (final_from); a
// helper thread starts the all-reduce of each bucket as soon as it lies wholly in the final part
// and keeps the reductions moving while the main thread computes the rest of the backward pass.
// finish() waits for the rest.
//
// Buckets start in the same order on every rank (the order of the layout), which collectives need;
// a rank with nothing to compute in a step simply starts them all in finish().
//
// On one process every call returns at once and no thread is started.
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "distributed/communicator.h"

namespace bertft {

class GradientReducer {
 public:
  struct Range {
    size_t begin, end;  // float offsets into the gradient array
  };

  // Sums `ranges` (ascending, disjoint) of the gradient array starting at `grads`, in buckets of at
  // most bucket_floats floats.
  GradientReducer(const Communicator& comm, float* grads, const std::vector<Range>& ranges, size_t bucket_floats);
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  // Gradients from `first_final` to the end of the array will not change any more in this step.
  void final_from(const float* first_final);
  // Starts every bucket not started yet and waits for all: the ranges now hold the sums over ranks.
  // Then the next step may begin.
  void finish();

  // Sums the rows of a [rows, width] table of which each rank wrote only `touched` (its other rows
  // are zero: sparse word-embedding gradients). Returns the union of all ranks' touched rows,
  // ascending; those rows now hold the sums.
  std::vector<int32_t> sum_rows(float* table, int64_t width, std::span<const int32_t> touched);
  // Sums values (loss terms, counts) over the ranks.
  // Neither may be called while buckets are in flight (between a step's first final_from and its
  // finish): the helper thread alone talks to the other ranks then.
  void sum_values(std::span<double> values);

  size_t buckets() const { return buckets_.size(); }
  size_t reduced_floats() const { return reduced_floats_; }
  // Seconds the main thread waited for communication, and seconds during which at least one
  // all-reduce was in flight (partly behind the backward pass), since construction.
  double wait_seconds() const { return wait_seconds_; }
  double busy_seconds() const;

 private:
  void run_helper();

  const Communicator& comm_;
  float* grads_;
  std::vector<Range> buckets_;  // descending offsets: the order they start in
  size_t reduced_floats_ = 0;
  std::vector<float> rows_buffer_;
  double wait_seconds_ = 0;

  // Shared with the helper thread, under mutex_.
  mutable std::mutex mutex_;
  std::condition_variable wake_helper_, step_done_;
  size_t startable_ = 0;        // buckets_[0, startable_) may start
  bool step_complete_ = false;  // every bucket of the step is summed; finish() has not returned yet
  bool stopping_ = false;
  double busy_seconds_ = 0;
  std::thread helper_;
};

}  // namespace bertft
