#pragma once
// Dynamic batching by token budget. Request handlers submit their tokenized inputs and wait; one
// inference thread takes whatever is queued, oldest first, into batches of at most max_tokens tokens
// and max_inputs inputs, so concurrent requests share forward passes and a large request is split
// over several (its inputs may share a batch with other requests' inputs). Batching never waits for
// more work to arrive: a lone request runs at once.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "inference/classifier.h"

namespace bertft {

struct BatchLimits {
  int64_t max_tokens = 16384;
  int max_inputs = 32;
};

// What one forward pass did, for metrics.
struct BatchStats {
  int inputs = 0;
  int64_t tokens = 0;
  double seconds = 0;
};

class Batcher {
 public:
  // forward(batch, logits[batch.size() * num_labels]) runs on the inference thread only; on_batch (may
  // be empty) is called there after each batch's forward pass, before its requests are answered.
  using Forward = std::function<void(std::span<const TokenizedInput>, float* logits)>;
  Batcher(Forward forward, int num_labels, BatchLimits limits, std::function<void(const BatchStats&)> on_batch = {});
  ~Batcher();  // stop()
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Blocks until every input is classified; returns logits[inputs.size() * num_labels] in input order.
  // Each input must have 1..max_tokens tokens. Rethrows what forward threw for a batch holding any of them.
  std::vector<float> classify(std::vector<TokenizedInput> inputs);

  // Finishes everything already submitted, then joins the inference thread; classify() afterwards throws.
  void stop();

  // Inputs submitted and not yet taken into a batch.
  int64_t queued_inputs() const;

 private:
  struct Job;
  void run();

  Forward forward_;
  int num_labels_;
  BatchLimits limits_;
  std::function<void(const BatchStats&)> on_batch_;
  mutable std::mutex mutex_;
  std::condition_variable work_;
  std::deque<std::shared_ptr<Job>> queue_;  // jobs with inputs not yet batched, oldest first
  int64_t queued_inputs_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace bertft
