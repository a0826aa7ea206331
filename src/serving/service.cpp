#include "serving/service.h"

#include "data/dataset.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>

#include "common/error.h"
#include "data/dataset.h"
#include "inference/ensemble.h"
#include "kernels/classifier_head.h"
#include "serving/api_error.h"
#include "serving/openapi.h"
#include "serving/web_page.h"

namespace bertft {

HttpReply error_reply(int status, const std::string& type, const std::string& message) {
  return {status, error_body(type, message)};
}

Service::Service(std::vector<ServedModel> models, const ModelConfig& config, Batcher& batcher, Metrics& metrics,
                 ServiceOptions options)
    : models_(std::move(models)), config_(config), batcher_(batcher), metrics_(metrics), options_(std::move(options)) {
  for (const ServedModel& model : models_) weights_.push_back(model.weight);
}

void Service::predict(std::string_view body, ApiDialect dialect, std::function<void(HttpReply)> done) {
  // Counted before any work so that a flood is refused for the price of an increment; released when
  // the reply is made, whichever thread makes it.
  if (++in_flight_ > options_.max_concurrent) {
    --in_flight_;
    return done(error_reply(429, "Overloaded",
                            "the server is busy: " + std::to_string(options_.max_concurrent) +
                                " requests in flight (--max-concurrent); retry later"));
  }
  done = [this, reply = std::move(done)](HttpReply r) {
    --in_flight_;
    reply(std::move(r));
  };
  try {
    predict_admitted(body, dialect, done);
  } catch (const ApiError& e) {
    done(error_reply(e.status, e.type, e.what()));
  }
}

HttpReply Service::predict(std::string_view body, ApiDialect dialect) {
  std::promise<HttpReply> reply;
  std::future<HttpReply> result = reply.get_future();
  predict(body, dialect, [&reply](HttpReply r) { reply.set_value(std::move(r)); });
  return result.get();
}

void Service::predict_admitted(std::string_view body, ApiDialect dialect, std::function<void(HttpReply)>& done) {
  auto request = std::make_shared<PredictRequest>(parse_predict_request(body, options_.limits, dialect));
  const size_t n = request->inputs.size();
  // For each model, every input's token sequences in turn: one, or with --truncation chunks a long
  // text's windows; input i's are encoded[m][first[m][i], first[m][i + 1]).
  std::vector<std::vector<TokenizedInput>> encoded(models_.size());
  auto first = std::make_shared<std::vector<std::vector<size_t>>>(models_.size(), std::vector<size_t>(n + 1));
  int64_t truncated = 0;
  for (size_t i = 0; i < n; i++) {
    const PredictInput& input = request->inputs[i];
    bool cut_by_any = false;
    for (size_t m = 0; m < models_.size(); m++) {
      const ServedModel& model = models_[m];
      Truncation truncation = model.truncation;
      truncation.side = request->truncation_side;
      const std::string text = model.strip_html ? strip_html_breaks(input.text) : input.text;
      std::optional<std::string> text_pair = input.text_pair;
      if (text_pair && model.strip_html) *text_pair = strip_html_breaks(*text_pair);
      std::optional<std::string_view> pair;
      if (text_pair) pair = *text_pair;
      bool cut = false;
      std::vector<TokenizedInput> windows =
          encode_windows(*model.tokenizer, text, pair, model.max_length, truncation, &cut);
      cut = cut && windows.size() == 1;  // windows keep every token
      if (cut && !request->truncate)
        throw ApiError(422, "Validation",
                       (request->batch ? "inputs[" + std::to_string(i) + "]" : std::string("input")) +
                           " is longer than " +
                           (models_.size() > 1 ? "the maximum of " + std::to_string(model.max_length) +
                                                     " tokens of model " + model.model_id
                                               : "the model's maximum of " + std::to_string(model.max_length) +
                                                     " tokens") +
                           "; send \"truncate\": true to cut it");
      cut_by_any = cut_by_any || cut;
      (*first)[m][i] = encoded[m].size();
      for (TokenizedInput& w : windows) encoded[m].push_back(std::move(w));
    }
    truncated += cut_by_any;
  }
  for (size_t m = 0; m < models_.size(); m++) (*first)[m][n] = encoded[m].size();
  auto answer = [this, request, first, truncated, done](std::vector<float> logits, std::exception_ptr error) {
    if (error) {
      std::string message = "inference failed";
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        message += std::string(": ") + e.what();
      } catch (...) {
      }
      return done(error_reply(500, "Backend", message));
    }
    const size_t n = request->inputs.size();
    metrics_.record_inputs(static_cast<int64_t>(n), truncated);
    const int C = config_.num_labels();
    // Each model's logits per input (the batcher gives model 0's rows, then model 1's, ...), then the
    // inputs' logits of the models together (one model: its own).
    std::vector<std::vector<float>> model_logits(models_.size(), std::vector<float>(n * C));
    size_t model_first_row = 0;
    for (size_t m = 0; m < models_.size(); m++) {
      const std::vector<size_t>& rows = (*first)[m];
      for (size_t i = 0; i < n; i++)
        mean_window_logits(model_logits[m].data() + i * C, logits.data() + (model_first_row + rows[i]) * C,
                           static_cast<int64_t>(rows[i + 1] - rows[i]), C);
      model_first_row += rows[n];
    }
    std::vector<float> text_logits(n * C), text_probs(C);
    std::vector<const float*> member_logits(models_.size());
    for (size_t i = 0; i < n; i++) {
      for (size_t m = 0; m < models_.size(); m++) member_logits[m] = model_logits[m].data() + i * C;
      average_members(member_logits, weights_, C, text_probs.data(), text_logits.data() + i * C);
    }
    done({200, predict_reply(*request, text_logits.data(), config_.id2label)
                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
  };
  try {
    batcher_.submit(std::move(encoded), std::move(answer));
  } catch (const std::invalid_argument& e) {
    throw ApiError(500, "Backend", std::string("inference failed: ") + e.what());
  } catch (const std::runtime_error& e) {  // stopping
    throw ApiError(503, "Backend", e.what());
  }
}

HttpReply Service::health() const { return {200, "", "text/plain"}; }

HttpReply Service::info() const {
  nlohmann::json id2label = nlohmann::json::object(), label2id = nlohmann::json::object();
  for (int c = 0; c < config_.num_labels(); c++) {
    id2label[std::to_string(c)] = config_.id2label[c];
    label2id[config_.id2label[c]] = c;
  }
  // An ensemble shows as its models' ids joined, taking inputs up to the shortest maximum (longer ones
  // get 422 unless truncated); how it cuts and cleans texts and pools is its models' own where they
  // differ (null at the top, each model's in "models").
  std::string model_id;
  int max_length = models_.front().max_length;
  nlohmann::json truncation = describe(models_.front().truncation), strip_html = models_.front().strip_html,
                 pooling = models_.front().pooling;
  nlohmann::json models = nlohmann::json::array();
  for (const ServedModel& model : models_) {
    model_id += (model_id.empty() ? "" : " + ") + model.model_id;
    max_length = std::min(max_length, model.max_length);
    if (describe(model.truncation) != truncation) truncation = nullptr;
    if (model.strip_html != strip_html) strip_html = nullptr;
    if (model.pooling != pooling) pooling = nullptr;
    models.push_back({{"model_id", model.model_id},
                      {"weight", model.weight},
                      {"max_input_length", model.max_length},
                      {"truncation", describe(model.truncation)},
                      {"strip_html", model.strip_html},
                      {"pooling", model.pooling}});
  }
  nlohmann::json info = {
      {"model_id", model_id},
      {"model_dtype", options_.precision},
      {"model_type", {{"classifier", {{"id2label", id2label}, {"label2id", label2id}}}}},
      {"labels", config_.id2label},
      {"max_input_length", max_length},
      {"max_input_chars", options_.limits.max_input_chars},
      {"max_concurrent_requests", options_.max_concurrent},
      {"max_batch_tokens", options_.batch.max_tokens},
      {"max_batch_requests", options_.batch.max_inputs},
      {"max_client_batch_size", options_.limits.max_client_batch_size},
      {"payload_limit", options_.payload_limit},
      {"auto_truncate", false},
      {"truncation", truncation},
      {"strip_html", strip_html},
      {"pooling", pooling},
      {"version", BERTFT_VERSION},
  };
  if (models_.size() > 1) info["models"] = std::move(models);
  return {200, info.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

HttpReply Service::metrics() const {
  return {200, metrics_.render(batcher_.queued_inputs(), in_flight_.load()), "text/plain; version=0.0.4"};
}

HttpReply Service::openapi() const { return {200, openapi_json()}; }

HttpReply Service::index_page() const {
  HttpReply reply{200, std::string(index_html()), "text/html; charset=utf-8"};
  // The page is self-contained: it may run its own inline script and style and call this server's
  // API, and load nothing from anywhere else (no fonts, images, scripts or frames).
  reply.headers = {
      {"Content-Security-Policy",
       "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
       "img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"Cache-Control", "no-cache"},
  };
  return reply;
}

}  // namespace bertft
