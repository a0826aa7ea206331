#include "serving/batcher.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <future>
#include <stdexcept>
#include <string>

#include "common/error.h"

namespace bertft {

struct Batcher::Job {
  std::vector<TokenizedInput> inputs;
  std::vector<float> logits;
  size_t next = 0;     // first input not yet taken into a batch
  size_t pending = 0;  // inputs taken or not whose logits are not in yet
  std::exception_ptr error;
  std::promise<void> done;
};

Batcher::Batcher(Forward forward, int num_labels, BatchLimits limits, std::function<void(const BatchStats&)> on_batch)
    : forward_(std::move(forward)), num_labels_(num_labels), limits_(limits), on_batch_(std::move(on_batch)) {
  if (limits_.max_tokens < 1 || limits_.max_inputs < 1) throw Error("batch limits must be at least 1");
  thread_ = std::thread([this] { run(); });
}

Batcher::~Batcher() { stop(); }

std::vector<float> Batcher::classify(std::vector<TokenizedInput> inputs) {
  if (inputs.empty()) return {};
  for (const TokenizedInput& input : inputs)
    if (input.ids.empty() || static_cast<int64_t>(input.ids.size()) > limits_.max_tokens)
      throw std::invalid_argument("input of " + std::to_string(input.ids.size()) + " tokens does not fit a batch of " +
                                  std::to_string(limits_.max_tokens));
  auto job = std::make_shared<Job>();
  job->logits.resize(inputs.size() * num_labels_);
  job->pending = inputs.size();
  job->inputs = std::move(inputs);
  std::future<void> done = job->done.get_future();
  {
    std::lock_guard lock(mutex_);
    if (stopping_) throw std::runtime_error("the server is shutting down");
    queued_inputs_ += static_cast<int64_t>(job->inputs.size());
    queue_.push_back(job);
  }
  work_.notify_one();
  done.get();  // rethrows a forward failure
  return std::move(job->logits);
}

void Batcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_.notify_one();
  if (thread_.joinable()) thread_.join();
}

int64_t Batcher::queued_inputs() const {
  std::lock_guard lock(mutex_);
  return queued_inputs_;
}

void Batcher::run() {
  // Where each batch row's logits go: (job, input index).
  std::vector<std::pair<std::shared_ptr<Job>, size_t>> slots;
  std::vector<TokenizedInput> batch;
  std::vector<float> logits;
  for (;;) {
    slots.clear();
    batch.clear();
    BatchStats stats;
    {
      std::unique_lock lock(mutex_);
      work_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything submitted is done
      while (!queue_.empty() && stats.inputs < limits_.max_inputs) {
        Job& job = *queue_.front();
        const auto length = static_cast<int64_t>(job.inputs[job.next].ids.size());
        if (stats.tokens + length > limits_.max_tokens) break;
        stats.tokens += length;
        stats.inputs++;
        // Moved out: the job only needs its inputs until they are batched.
        batch.push_back(std::move(job.inputs[job.next]));
        slots.emplace_back(queue_.front(), job.next);
        if (++job.next == job.inputs.size()) queue_.pop_front();
      }
      queued_inputs_ -= stats.inputs;
    }
    logits.resize(batch.size() * num_labels_);
    std::exception_ptr error;
    const auto start = std::chrono::steady_clock::now();
    try {
      forward_(batch, logits.data());
    } catch (...) {
      error = std::current_exception();
    }
    stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    // Counted before any of its requests is answered, so that a client that has its reply finds the
    // batch in /metrics.
    if (on_batch_) on_batch_(stats);
    for (size_t row = 0; row < slots.size(); row++) {
      auto& [job, index] = slots[row];
      if (error) job->error = error;
      else std::copy_n(logits.data() + row * num_labels_, num_labels_, job->logits.data() + index * num_labels_);
      // Only this thread touches pending and error once a job is queued.
      if (--job->pending == 0) {
        if (job->error) job->done.set_exception(job->error);
        else job->done.set_value();
      }
    }
  }
}

}  // namespace bertft
