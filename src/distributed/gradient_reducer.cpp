#include "distributed/gradient_reducer.h"

#include <algorithm>
#include <chrono>

namespace bertft {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// How long the helper sleeps between progress checks when nothing finished: MPI moves a
// non-blocking collective only inside MPI calls, and a thread spinning in them would take a core
// from the backward pass it is meant to hide behind.
constexpr auto kPollInterval = std::chrono::microseconds(50);

}  // namespace

GradientReducer::GradientReducer(const Communicator& comm, float* grads, const std::vector<Range>& ranges,
                                 size_t bucket_floats)
    : comm_(comm), grads_(grads) {
  bucket_floats = std::max<size_t>(1, bucket_floats);
  for (auto range = ranges.rbegin(); range != ranges.rend(); ++range) {
    reduced_floats_ += range->end - range->begin;
    for (size_t end = range->end; end > range->begin;) {
      const size_t begin = end - std::min(bucket_floats, end - range->begin);
      buckets_.push_back({begin, end});
      end = begin;
    }
  }
  if (comm_.size() > 1 && !buckets_.empty()) helper_ = std::thread([this] { run_helper(); });
}

GradientReducer::~GradientReducer() {
  if (!helper_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_helper_.notify_one();
  helper_.join();
}

void GradientReducer::final_from(const float* first_final) {
  if (!helper_.joinable()) return;
  const size_t offset = static_cast<size_t>(first_final - grads_);
  {
    std::lock_guard lock(mutex_);
    const size_t before = startable_;
    while (startable_ < buckets_.size() && buckets_[startable_].begin >= offset) startable_++;
    if (startable_ == before) return;
  }
  wake_helper_.notify_one();
}

void GradientReducer::finish() {
  if (!helper_.joinable()) return;
  const auto start = Clock::now();
  std::unique_lock lock(mutex_);
  startable_ = buckets_.size();
  wake_helper_.notify_one();
  step_done_.wait(lock, [this] { return step_complete_; });
  step_complete_ = false;
  startable_ = 0;
  wait_seconds_ += seconds_since(start);
}

void GradientReducer::run_helper() {
  std::vector<std::unique_ptr<Communicator::Pending>> in_flight;
  size_t started = 0, completed = 0;
  std::unique_lock lock(mutex_);
  while (true) {
    wake_helper_.wait(lock, [&] { return stopping_ || (!step_complete_ && startable_ > started); });
    if (stopping_) return;
    const auto busy_since = Clock::now();
    while (!stopping_ && (started < startable_ || !in_flight.empty())) {
      const size_t limit = startable_;
      lock.unlock();
      for (; started < limit; started++) {
        const Range& b = buckets_[started];
        in_flight.push_back(comm_.start_all_reduce_sum(std::span(grads_ + b.begin, b.end - b.begin)));
      }
      const size_t before = completed;
      // Collectives may complete in any order; they were started in the same order on every rank.
      std::erase_if(in_flight, [&](const std::unique_ptr<Communicator::Pending>& p) {
        if (!p->done()) return false;
        completed++;
        return true;
      });
      if (completed == before && !in_flight.empty()) std::this_thread::sleep_for(kPollInterval);
      lock.lock();
    }
    busy_seconds_ += seconds_since(busy_since);
    if (completed == buckets_.size()) {
      started = completed = 0;
      step_complete_ = true;
      step_done_.notify_one();
    }
  }
}

double GradientReducer::busy_seconds() const {
  std::lock_guard lock(mutex_);
  return busy_seconds_;
}

std::vector<int32_t> GradientReducer::sum_rows(float* table, int64_t width, std::span<const int32_t> touched) {
  if (comm_.size() == 1) return {touched.begin(), touched.end()};
  const auto start = Clock::now();
  std::vector<int32_t> rows = comm_.all_gather(touched);
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  rows_buffer_.resize(rows.size() * width);
  for (size_t i = 0; i < rows.size(); i++)
    std::copy_n(table + rows[i] * width, width, rows_buffer_.data() + i * width);
  comm_.all_reduce_sum(std::span(rows_buffer_));
  for (size_t i = 0; i < rows.size(); i++)
    std::copy_n(rows_buffer_.data() + i * width, width, table + rows[i] * width);
  const double seconds = seconds_since(start);
  wait_seconds_ += seconds;
  std::lock_guard lock(mutex_);
  busy_seconds_ += seconds;
  return rows;
}

void GradientReducer::sum_values(std::span<double> values) {
  if (comm_.size() == 1) return;
  const auto start = Clock::now();
  comm_.all_reduce_sum(values);
  const double seconds = seconds_since(start);
  wait_seconds_ += seconds;
  std::lock_guard lock(mutex_);
  busy_seconds_ += seconds;
}

}  // namespace bertft
