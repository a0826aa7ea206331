#include "serving/batcher.h"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <future>
#include <stdexcept>
#include <string>

#include "common/error.h"

namespace bertft {

namespace {
constexpr std::chrono::seconds kIdleBeforeTrim{1};
}  // namespace

struct Batcher::Job {
  std::vector<std::vector<TokenizedInput>> inputs;  // per model
  std::vector<size_t> next;       // per model: its first input not yet taken into a batch
  std::vector<size_t> first_row;  // per model: the row of logits its first input's go to
  std::vector<float> logits;
  size_t pending = 0;  // inputs taken or not whose logits are not in yet
  std::exception_ptr error;
  Done done;

  bool batched(size_t model) const { return model >= inputs.size() || next[model] == inputs[model].size(); }
  bool all_batched() const {
    for (size_t m = 0; m < inputs.size(); m++)
      if (!batched(m)) return false;
    return true;
  }
};

Batcher::Batcher(Forward forward, int num_labels, BatchLimits limits, std::function<void(const BatchStats&)> on_batch)
    : forward_(std::move(forward)), num_labels_(num_labels), limits_(limits), on_batch_(std::move(on_batch)) {
  if (limits_.max_tokens < 1 || limits_.max_inputs < 1) throw Error("batch limits must be at least 1");
  thread_ = std::thread([this] { run(); });
}

Batcher::~Batcher() { stop(); }

void Batcher::submit(std::vector<std::vector<TokenizedInput>> inputs, Done done) {
  auto job = std::make_shared<Job>();
  for (const std::vector<TokenizedInput>& model_inputs : inputs) {
    for (const TokenizedInput& input : model_inputs)
      if (input.ids.empty() || static_cast<int64_t>(input.ids.size()) > limits_.max_tokens)
        throw std::invalid_argument("input of " + std::to_string(input.ids.size()) +
                                    " tokens does not fit a batch of " + std::to_string(limits_.max_tokens));
    job->first_row.push_back(job->pending);
    job->pending += model_inputs.size();
  }
  if (job->pending == 0) return done({}, nullptr);
  const size_t total = job->pending;
  job->logits.resize(total * num_labels_);
  job->next.assign(inputs.size(), 0);
  job->inputs = std::move(inputs);
  job->done = std::move(done);
  {
    std::lock_guard lock(mutex_);
    if (stopping_) throw std::runtime_error("the server is shutting down");
    queued_inputs_ += static_cast<int64_t>(total);
    queue_.push_back(std::move(job));
  }
  work_.notify_one();
}

void Batcher::submit(std::vector<TokenizedInput> inputs, Done done) {
  std::vector<std::vector<TokenizedInput>> one_model;
  one_model.push_back(std::move(inputs));
  submit(std::move(one_model), std::move(done));
}

std::vector<float> Batcher::classify(std::vector<TokenizedInput> inputs) {
  std::promise<std::vector<float>> result;
  std::future<std::vector<float>> logits = result.get_future();
  submit(std::move(inputs), [&result](std::vector<float> values, std::exception_ptr error) {
    if (error) result.set_exception(error);
    else result.set_value(std::move(values));
  });
  return logits.get();
}

void Batcher::stop(bool finish_queued) {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    finish_queued_ = finish_queued_ && finish_queued;
  }
  work_.notify_one();
  if (thread_.joinable()) thread_.join();
}

int64_t Batcher::queued_inputs() const {
  std::lock_guard lock(mutex_);
  return queued_inputs_;
}

void Batcher::run() {
  // Where each batch row's logits go: (job, row of its logits).
  std::vector<std::pair<std::shared_ptr<Job>, size_t>> slots;
  std::vector<TokenizedInput> batch;
  std::vector<float> logits;
  std::vector<std::shared_ptr<Job>> abandoned;
  bool allocated_since_trim = false;
  for (;;) {
    slots.clear();
    batch.clear();
    BatchStats stats;
    size_t model = SIZE_MAX;  // whose inputs the batch holds
    {
      std::unique_lock lock(mutex_);
      // Requests leave their freed inputs and replies in the allocator. Once no work has come for a
      // second, hand that memory back to the system, so the server returns to its resting size after
      // large requests; never between requests, where it would cost every one of them page faults.
      if (!work_.wait_for(lock, kIdleBeforeTrim, [&] { return stopping_ || !queue_.empty(); }) && allocated_since_trim) {
        lock.unlock();
        malloc_trim(0);
        allocated_since_trim = false;
        lock.lock();
      }
      work_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_ && !finish_queued_) abandoned.swap(queue_);
      if (queue_.empty()) break;  // stopping, and everything that is to be done is done
      // Models take turns batch by batch, so that no model's inputs wait for another's queue to empty.
      size_t in_turn = SIZE_MAX;
      for (const std::shared_ptr<Job>& job : queue_)
        for (size_t m = 0; m < job->inputs.size(); m++)
          if (!job->batched(m)) {
            model = std::min(model, m);
            if (m >= next_model_) in_turn = std::min(in_turn, m);
          }
      if (in_turn != SIZE_MAX) model = in_turn;
      next_model_ = model + 1;
      // Jobs take turns, one input each, oldest first, so every queued request has an input in the
      // batch before any has a second, and the oldest are served first when there are more requests
      // than room. An input that does not fit what is left of the token budget is passed over for this
      // batch: another job's shorter input may fit.
      for (bool took = true; took && stats.inputs < limits_.max_inputs;) {
        took = false;
        for (size_t turn = 0; turn < queue_.size() && stats.inputs < limits_.max_inputs; turn++) {
          const std::shared_ptr<Job>& job = queue_[turn];
          if (job->batched(model)) continue;
          size_t& next = job->next[model];
          const auto length = static_cast<int64_t>(job->inputs[model][next].ids.size());
          if (stats.tokens + length > limits_.max_tokens) continue;
          stats.tokens += length;
          stats.inputs++;
          // Moved out: the job only needs its inputs until they are batched.
          batch.push_back(std::move(job->inputs[model][next]));
          slots.emplace_back(job, job->first_row[model] + next++);
          took = true;
        }
      }
      std::erase_if(queue_, [](const std::shared_ptr<Job>& job) { return job->all_batched(); });
      queued_inputs_ -= stats.inputs;
    }
    allocated_since_trim = true;
    logits.resize(batch.size() * num_labels_);
    std::exception_ptr error;
    const auto start = std::chrono::steady_clock::now();
    try {
      forward_(model, batch, logits.data());
    } catch (...) {
      error = std::current_exception();
    }
    stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    // Counted before any of its requests is answered, so that a client that has its reply finds the
    // batch in /metrics.
    if (on_batch_) on_batch_(stats);
    for (size_t row = 0; row < slots.size(); row++) {
      auto& [job, job_row] = slots[row];
      if (error) job->error = error;
      else std::copy_n(logits.data() + row * num_labels_, num_labels_, job->logits.data() + job_row * num_labels_);
      // Only this thread touches pending and error once a job is queued.
      if (--job->pending == 0) job->done(std::move(job->logits), job->error);
    }
    slots.clear();
  }
  const auto shutting_down = std::make_exception_ptr(std::runtime_error("the server is shutting down"));
  for (const std::shared_ptr<Job>& job : abandoned) job->done({}, shutting_down);
}

}  // namespace bertft
