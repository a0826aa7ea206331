#pragma once
// The HTTP API without the sockets: each endpoint takes the request body and returns the reply, so
// the whole API is testable in-process. http_server.h maps routes onto it.
//   POST /predict       classify (predict_api.h), batched with every other request (batcher.h)
//   GET  /health        200 once the model is loaded
//   GET  /info          model, labels, limits, version
//   GET  /metrics       Prometheus text (metrics.h)
//   GET  /openapi.json  the API description (openapi.h)
//   GET  /              the web page (web_page.h)
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/config.h"
#include "serving/batcher.h"
#include "serving/metrics.h"
#include "serving/predict_api.h"
#include "tokenizer/tokenizer.h"
#include "training/encoded_dataset.h"

namespace bertft {

struct HttpReply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers = {};  // beyond Content-Type and Content-Length
};

struct ServiceOptions {
  std::string model_id;   // shown by /info
  int max_length = 512;   // tokens per input, special tokens included
  int max_concurrent = 512;  // /predict requests in flight; more get 429
  PredictLimits limits;
  size_t payload_limit = 2000000;  // request body bytes (HttpOptions::payload_limit), shown by /info
  BatchLimits batch;
  Truncation truncation;  // how "truncate": true cuts
  std::string precision = "fp32";
};

class Service {
 public:
  // tokenizer, config, batcher and metrics must outlive the service.
  Service(const BertTokenizer& tokenizer, const BertConfig& config, Batcher& batcher, Metrics& metrics,
          ServiceOptions options);

  HttpReply predict(std::string_view body);
  HttpReply health() const;
  HttpReply info() const;
  HttpReply metrics() const;
  HttpReply openapi() const;
  HttpReply index_page() const;

 private:
  HttpReply predict_admitted(std::string_view body);

  const BertTokenizer& tokenizer_;
  const BertConfig& config_;
  Batcher& batcher_;
  Metrics& metrics_;
  ServiceOptions options_;
  std::atomic<int64_t> in_flight_{0};
};

// JSON reply for a refused request.
HttpReply error_reply(int status, const std::string& type, const std::string& message);

}  // namespace bertft
