#pragma once
// The HTTP API without the sockets: each endpoint takes the request body and returns the reply, so
// the whole API is testable in-process. http_server.h maps routes onto it.
//   POST /predict       classify (predict_api.h), batched with every other request (batcher.h);
//                       also POST /invocations, and POST / in the dialect --api chooses
//   GET  /health        200 once the model is loaded (also GET /ping)
//   GET  /info          model, labels, limits, version (an ensemble: its models and their weights)
//   GET  /metrics       Prometheus text (metrics.h)
//   GET  /openapi.json  the API description (openapi.h)
//   GET  /              the web page (web_page.h)
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/config.h"
#include "serving/batcher.h"
#include "serving/metrics.h"
#include "serving/predict_api.h"
#include "tokenizer/tokenizer.h"
#include "encoding/encoded_dataset.h"

namespace bertft {

struct HttpReply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers = {};  // beyond Content-Type and Content-Length
};

// How the service reads texts for one model: the model it serves, or each member of an ensemble
// (inference/ensemble.h), whose probabilities a reply averages. The batcher's model m is models[m].
struct ServedModel {
  const Tokenizer* tokenizer = nullptr;
  std::string model_id;   // shown by /info
  int max_length = 512;   // tokens per input, special tokens included
  Truncation truncation;  // how "truncate": true cuts
  bool strip_html = false;  // <br /> line breaks become spaces before tokenizing (data/dataset.h)
  double weight = 1;      // its share of the averaged probabilities (ensemble_weights)
  std::string pooling = "cls";  // how its head reads the encoder (config.json classifier_pooling)
};

struct ServiceOptions {
  int max_concurrent = 512;  // /predict requests in flight; more get 429
  PredictLimits limits;
  size_t payload_limit = 2000000;  // request body bytes (HttpOptions::payload_limit), shown by /info
  BatchLimits batch;
  std::string precision = "fp32";
};

class Service {
 public:
  // models (at least one; their tokenizers), config (the labels), batcher and metrics must outlive the
  // service.
  Service(std::vector<ServedModel> models, const ModelConfig& config, Batcher& batcher, Metrics& metrics,
          ServiceOptions options);

  // Parses and tokenizes `body` on the calling thread, then queues its inputs for inference and
  // returns; `done` gets the reply on the inference thread, or at once on this one when the request
  // is refused. `done` must not throw.
  void predict(std::string_view body, ApiDialect dialect, std::function<void(HttpReply)> done);
  // The same, waiting for the reply.
  HttpReply predict(std::string_view body, ApiDialect dialect = ApiDialect::Tei);
  // Stops the batcher: finishes the batch in progress and, with finish_queued, every queued request.
  void stop(bool finish_queued) { batcher_.stop(finish_queued); }

  HttpReply health() const;
  HttpReply info() const;
  HttpReply metrics() const;
  HttpReply openapi() const;
  HttpReply index_page() const;

 private:
  void predict_admitted(std::string_view body, ApiDialect dialect, std::function<void(HttpReply)>& done);

  std::vector<ServedModel> models_;
  std::vector<double> weights_;  // models_' weights
  const ModelConfig& config_;
  Batcher& batcher_;
  Metrics& metrics_;
  ServiceOptions options_;
  std::atomic<int64_t> in_flight_{0};
};

// JSON reply for a refused request.
HttpReply error_reply(int status, const std::string& type, const std::string& message);

}  // namespace bertft
