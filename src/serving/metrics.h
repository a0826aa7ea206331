#pragma once
// The server's counters, rendered as Prometheus text exposition format (version 0.0.4) for
// GET /metrics: requests by endpoint and status, request latency, batch sizes in inputs and tokens,
// forward-pass time, inference throughput, queue depth and requests in flight.
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "serving/batcher.h"

namespace bertft {

// A Prometheus histogram: cumulative counts per upper bound, sum and count.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1) {}
  void observe(double value);
  // NAME_bucket{LABELS,le=...}, NAME_sum{LABELS}, NAME_count{LABELS}; labels like endpoint="/predict" or "".
  void render(std::string& out, const std::string& name, const std::string& labels) const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bucket, not cumulative; the last is above every bound
  double sum_ = 0;
  uint64_t count_ = 0;
};

class Metrics {
 public:
  Metrics();
  // endpoint: the route ("/predict"), or "other" for paths the server does not serve.
  void record_request(const std::string& endpoint, int status, double seconds);
  void record_batch(const BatchStats& batch);
  void record_inputs(int64_t inputs, int64_t truncated);
  // queue_depth (inputs waiting for a batch) and in_flight are sampled at render time.
  std::string render(int64_t queue_depth, int64_t in_flight) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
  Histogram batch_inputs_, batch_tokens_, batch_seconds_;
  uint64_t inputs_ = 0, truncated_ = 0, tokens_ = 0;
  double inference_seconds_ = 0;
};

}  // namespace bertft
