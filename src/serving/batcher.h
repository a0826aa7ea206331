#pragma once
// Dynamic batching by token budget. Request handlers submit their tokenized inputs; one inference
// thread takes what is queued into batches of at most max_tokens tokens and max_inputs inputs, so
// concurrent requests share forward passes and a large request is split over several. Queued requests
// take turns, one input each, oldest first, as Text Embeddings Inference interleaves them: a one-input
// request that arrives behind four 1,024-input requests joins the next batch instead of waiting for
// all of theirs.
// Batching never waits for more work to arrive: a lone request runs at once.
// An ensemble's members each tokenize a request their own way: a submission then holds inputs for
// several models, and each batch holds one model's inputs, the models taking turns batch by batch.
#include <condition_variable>
#include <cstdint>
#include <exception>
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
  // forward(model, batch, logits[batch.size() * num_labels]) runs on the inference thread only, every
  // input of the batch being for `model` (0 when submissions hold one model's inputs); on_batch (may be
  // empty) is called there after each batch's forward pass, before its requests are answered.
  using Forward = std::function<void(size_t model, std::span<const TokenizedInput>, float* logits)>;
  Batcher(Forward forward, int num_labels, BatchLimits limits, std::function<void(const BatchStats&)> on_batch = {});
  ~Batcher();  // stop()
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Called once per submission with the logits [inputs * num_labels] of its inputs in input order (of
  // model 0's inputs, then model 1's, ...), or with what forward threw for a batch holding any of its
  // inputs. Runs on the inference thread; must not throw.
  using Done = std::function<void(std::vector<float> logits, std::exception_ptr error)>;

  // Queues inputs[m] for model m, for every m (each input of 1..max_tokens tokens, else
  // std::invalid_argument) and returns at once. Throws std::runtime_error once stopping.
  void submit(std::vector<std::vector<TokenizedInput>> inputs, Done done);
  // The same with the inputs of model 0 alone.
  void submit(std::vector<TokenizedInput> inputs, Done done);

  // submit, then blocks until done; rethrows forward's error.
  std::vector<float> classify(std::vector<TokenizedInput> inputs);

  // Finishes the batch in progress and, with finish_queued, everything already submitted (otherwise
  // their done gets "the server is shutting down"), then joins the inference thread.
  void stop(bool finish_queued = true);

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
  std::vector<std::shared_ptr<Job>> queue_;  // jobs with inputs not yet batched, oldest first
  size_t next_model_ = 0;  // models take turns: the next batch's is the first from this one on with inputs queued
  int64_t queued_inputs_ = 0;
  bool stopping_ = false;
  bool finish_queued_ = true;
  std::thread thread_;
};

}  // namespace bertft
