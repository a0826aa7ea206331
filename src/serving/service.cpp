#include "serving/service.h"

#include "data/dataset.h"

#include <nlohmann/json.hpp>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>

#include "common/error.h"
#include "data/dataset.h"
#include "kernels/classifier_head.h"
#include "serving/api_error.h"
#include "serving/openapi.h"
#include "serving/web_page.h"

namespace bertft {

HttpReply error_reply(int status, const std::string& type, const std::string& message) {
  return {status, error_body(type, message)};
}

Service::Service(const Tokenizer& tokenizer, const ModelConfig& config, Batcher& batcher, Metrics& metrics,
                 ServiceOptions options)
    : tokenizer_(tokenizer), config_(config), batcher_(batcher), metrics_(metrics), options_(std::move(options)) {}

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
  Truncation truncation = options_.truncation;
  truncation.side = request->truncation_side;
  // Every input's token sequences in turn: one, or with --truncation chunks a long text's windows.
  std::vector<TokenizedInput> encoded;
  auto first = std::make_shared<std::vector<size_t>>(request->inputs.size() + 1);
  int64_t truncated = 0;
  for (size_t i = 0; i < request->inputs.size(); i++) {
    const PredictInput& input = request->inputs[i];
    const std::string text = options_.strip_html ? strip_html_breaks(input.text) : input.text;
    std::optional<std::string> text_pair = input.text_pair;
    if (text_pair && options_.strip_html) *text_pair = strip_html_breaks(*text_pair);
    std::optional<std::string_view> pair;
    if (text_pair) pair = *text_pair;
    bool cut = false;
    std::vector<TokenizedInput> windows =
        encode_windows(tokenizer_, text, pair, options_.max_length, truncation, &cut);
    cut = cut && windows.size() == 1;  // windows keep every token
    if (cut && !request->truncate)
      throw ApiError(422, "Validation",
                     (request->batch ? "inputs[" + std::to_string(i) + "]" : std::string("input")) +
                         " is longer than the model's maximum of " + std::to_string(options_.max_length) +
                         " tokens; send \"truncate\": true to cut it");
    truncated += cut;
    (*first)[i] = encoded.size();
    for (TokenizedInput& w : windows) encoded.push_back(std::move(w));
  }
  (*first)[request->inputs.size()] = encoded.size();
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
    metrics_.record_inputs(static_cast<int64_t>(request->inputs.size()), truncated);
    const int C = config_.num_labels();
    std::vector<float> text_logits(request->inputs.size() * C);
    for (size_t i = 0; i < request->inputs.size(); i++)
      mean_window_logits(text_logits.data() + i * C, logits.data() + (*first)[i] * C,
                         static_cast<int64_t>((*first)[i + 1] - (*first)[i]), C);
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
  const nlohmann::json info = {
      {"model_id", options_.model_id},
      {"model_dtype", options_.precision},
      {"model_type", {{"classifier", {{"id2label", id2label}, {"label2id", label2id}}}}},
      {"labels", config_.id2label},
      {"max_input_length", options_.max_length},
      {"max_input_chars", options_.limits.max_input_chars},
      {"max_concurrent_requests", options_.max_concurrent},
      {"max_batch_tokens", options_.batch.max_tokens},
      {"max_batch_requests", options_.batch.max_inputs},
      {"max_client_batch_size", options_.limits.max_client_batch_size},
      {"payload_limit", options_.payload_limit},
      {"auto_truncate", false},
      {"truncation", describe(options_.truncation)},
      {"strip_html", options_.strip_html},
      {"version", BERTFT_VERSION},
  };
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
