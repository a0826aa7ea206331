#include "serving/metrics.h"

#include <charconv>

namespace bertft {
namespace {

// Request latencies from a cached short input to a long batch behind a queue.
const std::vector<double> kLatencyBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
const std::vector<double> kBatchInputBounds = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
const std::vector<double> kBatchTokenBounds = {16, 64, 256, 1024, 2048, 4096, 8192, 16384, 32768, 65536};

void append_number(std::string& out, double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void sample(std::string& out, const std::string& name, const std::string& labels, double value) {
  out += name;
  if (!labels.empty()) out += '{' + labels + '}';
  out += ' ';
  append_number(out, value);
  out += '\n';
}

}  // namespace

void Histogram::observe(double value) {
  size_t bucket = 0;
  while (bucket < bounds_.size() && value > bounds_[bucket]) bucket++;
  counts_[bucket]++;
  sum_ += value;
  count_++;
}

void Histogram::render(std::string& out, const std::string& name, const std::string& labels) const {
  const std::string prefix = labels.empty() ? "" : labels + ",";
  uint64_t cumulative = 0;
  for (size_t b = 0; b <= bounds_.size(); b++) {
    cumulative += counts_[b];
    std::string le = "+Inf";
    if (b < bounds_.size()) {
      le.clear();
      append_number(le, bounds_[b]);
    }
    sample(out, name + "_bucket", prefix + "le=\"" + le + "\"", static_cast<double>(cumulative));
  }
  sample(out, name + "_sum", labels, sum_);
  sample(out, name + "_count", labels, static_cast<double>(count_));
}

Metrics::Metrics() : batch_inputs_(kBatchInputBounds), batch_tokens_(kBatchTokenBounds), batch_seconds_(kLatencyBounds) {}

void Metrics::record_request(const std::string& endpoint, int status, double seconds) {
  std::lock_guard lock(mutex_);
  requests_[{endpoint, status}]++;
  latency_.try_emplace(endpoint, kLatencyBounds).first->second.observe(seconds);
}

void Metrics::record_batch(const BatchStats& batch) {
  std::lock_guard lock(mutex_);
  batch_inputs_.observe(batch.inputs);
  batch_tokens_.observe(static_cast<double>(batch.tokens));
  batch_seconds_.observe(batch.seconds);
  tokens_ += static_cast<uint64_t>(batch.tokens);
  inference_seconds_ += batch.seconds;
}

void Metrics::record_inputs(int64_t inputs, int64_t truncated) {
  std::lock_guard lock(mutex_);
  inputs_ += static_cast<uint64_t>(inputs);
  truncated_ += static_cast<uint64_t>(truncated);
}

std::string Metrics::render(int64_t queue_depth, int64_t in_flight) const {
  std::lock_guard lock(mutex_);
  std::string out;
  header(out, "bertft_requests_total", "counter", "HTTP requests answered, by endpoint and status code.");
  for (const auto& [key, count] : requests_)
    sample(out, "bertft_requests_total", "endpoint=\"" + key.first + "\",status=\"" + std::to_string(key.second) + "\"",
           static_cast<double>(count));
  header(out, "bertft_request_duration_seconds", "histogram", "Time from routing a request to its reply.");
  for (const auto& [endpoint, histogram] : latency_)
    histogram.render(out, "bertft_request_duration_seconds", "endpoint=\"" + endpoint + "\"");
  header(out, "bertft_batch_inputs", "histogram", "Inputs per forward pass.");
  batch_inputs_.render(out, "bertft_batch_inputs", "");
  header(out, "bertft_batch_tokens", "histogram", "Tokens per forward pass.");
  batch_tokens_.render(out, "bertft_batch_tokens", "");
  header(out, "bertft_batch_duration_seconds", "histogram", "Time of one forward pass.");
  batch_seconds_.render(out, "bertft_batch_duration_seconds", "");
  header(out, "bertft_inputs_total", "counter", "Inputs classified.");
  sample(out, "bertft_inputs_total", "", static_cast<double>(inputs_));
  header(out, "bertft_truncated_inputs_total", "counter", "Inputs cut to the maximum length (\"truncate\": true).");
  sample(out, "bertft_truncated_inputs_total", "", static_cast<double>(truncated_));
  header(out, "bertft_tokens_total", "counter", "Tokens through the model.");
  sample(out, "bertft_tokens_total", "", static_cast<double>(tokens_));
  header(out, "bertft_inference_seconds_total", "counter", "Time spent in forward passes.");
  sample(out, "bertft_inference_seconds_total", "", inference_seconds_);
  header(out, "bertft_tokens_per_second", "gauge", "Inference throughput: tokens over forward-pass time, since start.");
  sample(out, "bertft_tokens_per_second", "", inference_seconds_ > 0 ? static_cast<double>(tokens_) / inference_seconds_ : 0);
  header(out, "bertft_queue_depth", "gauge", "Inputs waiting for a batch.");
  sample(out, "bertft_queue_depth", "", static_cast<double>(queue_depth));
  header(out, "bertft_requests_in_flight", "gauge", "/predict requests being tokenized, queued or classified.");
  sample(out, "bertft_requests_in_flight", "", static_cast<double>(in_flight));
  return out;
}

}  // namespace bertft
