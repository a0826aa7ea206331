// The /predict request parser, the reply shape and the Service endpoints (serving/), without sockets:
// the demo tokenizer and a fake forward pass whose logits are known.
#include <gtest/gtest.h>

#include <cmath>
#include <condition_variable>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "kernels/classifier_head.h"
#include "serving/api_error.h"
#include "serving/openapi.h"
#include "serving/predict_api.h"
#include "serving/service.h"

namespace bertft {
namespace {

int status_of(std::string_view body, const PredictLimits& limits = {}, ApiDialect dialect = ApiDialect::Tei) {
  try {
    parse_predict_request(body, limits, dialect);
  } catch (const ApiError& e) {
    return e.status;
  }
  return 200;
}

TEST(ServingApi, RequestShapes) {
  PredictRequest r = parse_predict_request(R"({"inputs": "hello"})", {});
  ASSERT_EQ(r.inputs.size(), 1u);
  EXPECT_FALSE(r.batch);
  EXPECT_EQ(r.inputs[0].text, "hello");
  EXPECT_FALSE(r.truncate);
  EXPECT_EQ(r.scores, ScoreFunction::Softmax);
  EXPECT_EQ(r.truncation_side, TruncationSide::Right);

  r = parse_predict_request(R"({"inputs": [["a"], ["b"], ["c", "d"], [""]], "truncate": true, "raw_scores": true, "x": 1})", {});
  ASSERT_EQ(r.inputs.size(), 4u);
  EXPECT_TRUE(r.batch && r.truncate);
  EXPECT_EQ(r.scores, ScoreFunction::None);
  EXPECT_EQ(r.inputs[1].text, "b");
  EXPECT_FALSE(r.inputs[1].text_pair);
  EXPECT_EQ(*r.inputs[2].text_pair, "d");
  EXPECT_EQ(r.inputs[3].text, "");

  // As TEI reads them: a flat list of two texts is one pair, of one text one text; neither is a batch.
  r = parse_predict_request(R"({"inputs": ["a", "b"], "truncation_direction": "Left"})", {});
  ASSERT_EQ(r.inputs.size(), 1u);
  EXPECT_FALSE(r.batch);
  EXPECT_EQ(r.inputs[0].text, "a");
  EXPECT_EQ(*r.inputs[0].text_pair, "b");
  EXPECT_EQ(r.truncation_side, TruncationSide::Left);
  r = parse_predict_request(R"({"inputs": ["a"]})", {});
  ASSERT_EQ(r.inputs.size(), 1u);
  EXPECT_FALSE(r.batch || r.inputs[0].text_pair);
}

TEST(ServingApi, HfInferenceDialect) {
  PredictRequest r = parse_predict_request(R"({"inputs": "a"})", {}, ApiDialect::HfInference);
  ASSERT_EQ(r.inputs.size(), 1u);
  EXPECT_TRUE(r.batch);  // answered [[...]]
  r = parse_predict_request(
      R"({"inputs": ["a", "b", "c"], "parameters": {"top_k": 2, "function_to_apply": "sigmoid", "truncate": true}})", {},
      ApiDialect::HfInference);
  EXPECT_EQ(r.inputs.size(), 3u);
  EXPECT_FALSE(r.inputs[1].text_pair);
  EXPECT_EQ(r.top_k, 2u);
  EXPECT_EQ(r.scores, ScoreFunction::Sigmoid);
  EXPECT_TRUE(r.truncate);
  for (const char* body : {R"({"inputs": [["a", "b"]]})", R"({"inputs": "a", "parameters": {"top_k": 0}})",
                           R"({"inputs": "a", "parameters": {"function_to_apply": "max"}})",
                           R"({"inputs": "a", "parameters": 3})"})
    EXPECT_EQ(status_of(body, {}, ApiDialect::HfInference), 400) << body;
}

TEST(ServingApi, BadRequestsGetTheirStatus) {
  for (const char* body : {"", "{", "[1]", "null", R"({"input": "a"})", R"({"inputs": 3})", R"({"inputs": {"a": 1}})",
                           R"({"inputs": [1]})", R"({"inputs": [[]]})", R"({"inputs": [["a", "b", "c"]]})",
                           R"({"inputs": [["a", 2]]})", R"({"inputs": "a", "truncate": "yes"})",
                           R"({"inputs": "a", "inputs": "b"})", R"({"inputs": ["a", "b", "c"]})",
                           R"({"inputs": ["a", ["b"]]})", R"({"inputs": [["a"], "b"]})"})
    EXPECT_EQ(status_of(body), 400) << body;
  for (const char* body : {R"({"inputs": "a", "truncation_direction": "left"})",
                           R"({"inputs": "a", "truncation_direction": 1})"})
    EXPECT_EQ(status_of(body), 422) << body;
  EXPECT_EQ(status_of(std::string_view("{\"inputs\": \"a\"}\0", 16)), 400);
  EXPECT_EQ(status_of("{\"inputs\": \"\xff\"}"), 400);
  EXPECT_EQ(status_of(R"({"inputs": "\ud800"})"), 400);
  try {
    parse_predict_request(R"({"inputs": []})", {});
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status, 400);
    EXPECT_EQ(e.type, "Empty");
  }
  EXPECT_EQ(status_of(R"({"inputs": [["a"], ["b"], ["c"]]})", {2, 100}), 413);
  EXPECT_EQ(status_of(R"({"inputs": [["a"], ["b"]]})", {2, 100}), 200);
  // Characters, not bytes: three two-byte characters fit a limit of 3.
  EXPECT_EQ(status_of("{\"inputs\": \"\xc3\xa9\xc3\xa9\xc3\xa9\"}", {2, 3}), 200);
  EXPECT_EQ(status_of(R"({"inputs": [["ab", "cd"]]})", {2, 3}), 413);
}

TEST(ServingApi, PredictionsAreSortedProbabilitiesOrLogits) {
  const std::vector<std::string> labels = {"a", "b", "c"};
  const float logits[] = {0.5f, 2.0f, -1.0f};
  const nlohmann::json probs = prediction_json(logits, labels, ScoreFunction::Softmax);
  ASSERT_EQ(probs.size(), 3u);
  EXPECT_EQ(probs[0]["label"], "b");
  EXPECT_EQ(probs[2]["label"], "c");
  const double z = std::exp(0.5) + std::exp(2.0) + std::exp(-1.0);
  EXPECT_NEAR(probs[0]["score"].get<double>(), std::exp(2.0) / z, 1e-6);
  const nlohmann::json raw = prediction_json(logits, labels, ScoreFunction::None);
  EXPECT_EQ(raw[1]["label"], "a");
  EXPECT_FLOAT_EQ(raw[1]["score"].get<float>(), 0.5f);
  const nlohmann::json top = prediction_json(logits, labels, ScoreFunction::Sigmoid, 1);
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(top[0]["label"], "b");
  EXPECT_NEAR(top[0]["score"].get<double>(), 1 / (1 + std::exp(-2.0)), 1e-6);
}

// Logits (number of tokens, -number of tokens): the reply says how each input was tokenized.
class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tokenizer = Tokenizer::from_dir(std::string(BERTFT_SOURCE_DIR) + "/models/demo");
    config.id2label = {"negative", "positive"};
    model.tokenizer = &tokenizer;
    model.max_length = 8;
    options.max_concurrent = 1;
  }
  Service make(Batcher& batcher) { return Service({model}, config, batcher, metrics, options); }
  static Batcher::Forward forward(std::mutex* gate = nullptr) {
    return [gate](size_t, std::span<const TokenizedInput> batch, float* logits) {
      if (gate) std::lock_guard hold(*gate);
      for (size_t i = 0; i < batch.size(); i++) {
        logits[2 * i] = static_cast<float>(batch[i].ids.size());
        logits[2 * i + 1] = -static_cast<float>(batch[i].ids.size());
      }
    };
  }
  Tokenizer tokenizer;
  ModelConfig config;
  ServedModel model;
  ServiceOptions options;
  Metrics metrics;
};

TEST_F(ServiceTest, PredictSingleAndBatch) {
  Batcher batcher(forward(), 2, {64, 8});
  Service service = make(batcher);
  HttpReply reply = service.predict(R"({"inputs": "good movie", "raw_scores": true})");
  ASSERT_EQ(reply.status, 200) << reply.body;
  nlohmann::json body = nlohmann::json::parse(reply.body);
  ASSERT_TRUE(body.is_array() && body.size() == 2u);
  EXPECT_EQ(body[0]["label"], "negative");
  EXPECT_EQ(body[0]["score"], 4.0);  // [CLS] good movie [SEP]

  reply = service.predict(R"({"inputs": [["good"], ["good", "movie"], [""]], "raw_scores": true})");
  ASSERT_EQ(reply.status, 200) << reply.body;
  body = nlohmann::json::parse(reply.body);
  ASSERT_EQ(body.size(), 3u);
  EXPECT_EQ(body[0][0]["score"], 3.0);
  EXPECT_EQ(body[1][0]["score"], 5.0);  // [CLS] good [SEP] movie [SEP]
  EXPECT_EQ(body[2][0]["score"], 2.0);  // an empty text is [CLS] [SEP]

  reply = service.predict(R"({"inputs": ["good", "movie"], "raw_scores": true})");  // a pair, one list
  body = nlohmann::json::parse(reply.body);
  EXPECT_EQ(body[0]["score"], 5.0);

  reply = service.predict(R"({"inputs": "good"})");
  body = nlohmann::json::parse(reply.body);
  EXPECT_NEAR(body[0]["score"].get<double>() + body[1]["score"].get<double>(), 1.0, 1e-6);

  reply = service.predict(R"({"inputs": "good", "parameters": {"top_k": 1}})", ApiDialect::HfInference);
  ASSERT_EQ(reply.status, 200) << reply.body;
  body = nlohmann::json::parse(reply.body);
  ASSERT_TRUE(body.is_array() && body.size() == 1u && body[0].size() == 1u) << reply.body;
  EXPECT_EQ(body[0][0]["label"], "negative");
}

// "truncation_direction": "Left" keeps a text's last tokens: logits are the first and last content ids.
TEST_F(ServiceTest, TruncationDirectionLeftKeepsTheEnd) {
  Batcher batcher(
      [](size_t, std::span<const TokenizedInput> batch, float* logits) {
        for (size_t i = 0; i < batch.size(); i++) {
          logits[2 * i] = static_cast<float>(batch[i].ids[1]);
          logits[2 * i + 1] = static_cast<float>(batch[i].ids[batch[i].ids.size() - 2]);
        }
      },
      2, {64, 8});
  Service service = make(batcher);
  const std::string text = "good bad good bad good bad good bad movie";
  const std::vector<int32_t> all = tokenizer.encode_ids(text);
  ASSERT_GT(all.size(), 8u);
  for (const char* side : {"Left", "Right"}) {
    const HttpReply reply = service.predict(R"({"inputs": ")" + text + R"(", "truncate": true, "raw_scores": true,
                                            "truncation_direction": ")" + side + R"("})");
    ASSERT_EQ(reply.status, 200) << reply.body;
    nlohmann::json scores = nlohmann::json::object();
    for (const auto& entry : nlohmann::json::parse(reply.body)) scores[entry["label"].get<std::string>()] = entry["score"];
    const bool left = std::string(side) == "Left";
    // Left: the kept content is the last 6 ids; Right: the first 6.
    const size_t first = left ? all.size() - 7 : 1, last = left ? all.size() - 2 : 6;
    EXPECT_EQ(scores["negative"], all[first]) << side;
    EXPECT_EQ(scores["positive"], all[last]) << side;
  }
}

TEST_F(ServiceTest, TooLongIs422UnlessTruncated) {
  Batcher batcher(forward(), 2, {64, 8});
  Service service = make(batcher);
  const std::string text = R"("good good good good good good good good good good")";
  HttpReply reply = service.predict(R"({"inputs": )" + text + "}");
  EXPECT_EQ(reply.status, 422);
  const nlohmann::json error = nlohmann::json::parse(reply.body);
  EXPECT_EQ(error["error_type"], "Validation");
  EXPECT_NE(error["error"].get<std::string>().find("truncate"), std::string::npos);
  reply = service.predict(R"({"inputs": [[)" + text + R"(]], "truncate": true, "raw_scores": true})");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(nlohmann::json::parse(reply.body)[0][0]["score"], 8.0);
}

// --truncation chunks: a long text is scored whole by its windows (no 422, nothing counted as cut);
// its scores are the mean of the windows' probabilities, raw scores their log. A long pair is still cut.
TEST_F(ServiceTest, ChunksScoreALongTextByItsWindows) {
  model.truncation = truncation_from_name("chunks", 128, 2);
  // Logits (x, -x) per window, x from its length and first content id: windows differ.
  Batcher batcher(
      [](size_t, std::span<const TokenizedInput> batch, float* logits) {
        for (size_t i = 0; i < batch.size(); i++) {
          const float x = static_cast<float>(batch[i].ids.size() % 7) + 0.01f * static_cast<float>(batch[i].ids[1] % 50);
          logits[2 * i] = x;
          logits[2 * i + 1] = -x;
        }
      },
      2, {64, 8});
  Service service = make(batcher);
  const std::string text = "good movie bad plot good acting bad ending good music bad";
  bool cut = false;
  const std::vector<TokenizedInput> windows = encode_windows(tokenizer, text, std::nullopt, 8, model.truncation, &cut);
  ASSERT_GE(windows.size(), 3u);
  std::vector<float> window_logits;
  for (const TokenizedInput& w : windows) {
    const float x = static_cast<float>(w.ids.size() % 7) + 0.01f * static_cast<float>(w.ids[1] % 50);
    window_logits.insert(window_logits.end(), {x, -x});
  }
  std::vector<float> probs(2);
  mean_softmax_forward(probs.data(), window_logits.data(), static_cast<int64_t>(windows.size()), 2);

  HttpReply reply = service.predict(R"({"inputs": [[")" + text + R"("], ["good"]]})");
  ASSERT_EQ(reply.status, 200) << reply.body;
  nlohmann::json body = nlohmann::json::parse(reply.body);
  EXPECT_EQ(body[0][0]["label"], probs[0] > probs[1] ? "negative" : "positive");
  EXPECT_NEAR(body[0][0]["score"].get<double>(), std::max(probs[0], probs[1]), 1e-6);
  reply = service.predict(R"({"inputs": ")" + text + R"(", "raw_scores": true})");
  body = nlohmann::json::parse(reply.body);
  EXPECT_NEAR(body[0]["score"].get<double>(), std::log(std::max(probs[0], probs[1])), 1e-5);
  EXPECT_NE(service.metrics().body.find("bertft_truncated_inputs_total 0\n"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(service.info().body)["truncation"], "chunks (2 tokens overlap)");

  reply = service.predict(R"({"inputs": [[")" + text + R"(", "good"]]})");
  EXPECT_EQ(reply.status, 422) << reply.body;
  EXPECT_EQ(service.predict(R"({"inputs": [[")" + text + R"(", "good"]], "truncate": true})").status, 200);
  EXPECT_NE(service.metrics().body.find("bertft_truncated_inputs_total 1\n"), std::string::npos);
}

// An ensemble: each model reads a text with its own max length, a reply's scores are the weighted mean
// of the models' probabilities (raw scores: its log), an input longer than one model's maximum is
// refused naming that model, and /info lists the models.
TEST_F(ServiceTest, AnEnsembleAveragesItsModelsProbabilities) {
  // Logits (x, -x): model 0 x = the token count, model 1 x = -token count / 4.
  Batcher batcher(
      [](size_t m, std::span<const TokenizedInput> batch, float* logits) {
        for (size_t i = 0; i < batch.size(); i++) {
          const float x = static_cast<float>(batch[i].ids.size()) * (m == 0 ? 1.0f : -0.25f);
          logits[2 * i] = x;
          logits[2 * i + 1] = -x;
        }
      },
      2, {64, 8});
  model.model_id = "demo";
  model.weight = 0.75;
  ServedModel other = model;
  other.model_id = "other";
  other.max_length = 5;
  other.weight = 0.25;
  Service service({model, other}, config, batcher, metrics, options);
  // softmax(x, -x)[0] = 1 / (1 + e^(-2x)); "good movie" is 4 tokens.
  const auto negative = [](double x) { return 1 / (1 + std::exp(-2 * x)); };
  const double p = 0.75 * negative(4) + 0.25 * negative(-1);
  HttpReply reply = service.predict(R"({"inputs": "good movie"})");
  ASSERT_EQ(reply.status, 200) << reply.body;
  nlohmann::json body = nlohmann::json::parse(reply.body);
  EXPECT_EQ(body[0]["label"], "negative");
  EXPECT_NEAR(body[0]["score"].get<double>(), p, 1e-6);
  EXPECT_NEAR(body[1]["score"].get<double>(), 1 - p, 1e-6);
  reply = service.predict(R"({"inputs": "good movie", "raw_scores": true})");
  body = nlohmann::json::parse(reply.body);
  EXPECT_NEAR(body[0]["score"].get<double>(), std::log(p), 1e-6);
  EXPECT_NEAR(body[1]["score"].get<double>(), std::log(1 - p), 1e-5);

  reply = service.predict(R"({"inputs": [["good"], ["good good good good"]]})");  // 6 tokens: over 5
  EXPECT_EQ(reply.status, 422);
  EXPECT_EQ(nlohmann::json::parse(reply.body)["error"],
            "inputs[1] is longer than the maximum of 5 tokens of model other; send \"truncate\": true to cut it");

  const nlohmann::json info = nlohmann::json::parse(service.info().body);
  EXPECT_EQ(info["model_id"], "demo + other");
  EXPECT_EQ(info["max_input_length"], 5);
  ASSERT_EQ(info["models"].size(), 2u);
  EXPECT_EQ(info["models"][1]["model_id"], "other");
  EXPECT_EQ(info["models"][1]["weight"], 0.25);
  EXPECT_EQ(info["models"][1]["max_input_length"], 5);
}

TEST_F(ServiceTest, OverMaxConcurrentIs429) {
  std::mutex gate;
  Batcher batcher(forward(&gate), 2, {64, 8});
  Service service = make(batcher);
  std::unique_lock hold(gate);
  auto first = std::async(std::launch::async, [&] { return service.predict(R"({"inputs": "a"})"); });
  while (service.metrics().body.find("bertft_requests_in_flight 1\n") == std::string::npos) std::this_thread::yield();
  const HttpReply refused = service.predict(R"({"inputs": "b"})");
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(nlohmann::json::parse(refused.body)["error_type"], "Overloaded");
  hold.unlock();
  EXPECT_EQ(first.get().status, 200);
  EXPECT_EQ(service.predict(R"({"inputs": "b"})").status, 200);
}

TEST_F(ServiceTest, InfoMetricsAndOpenApi) {
  Batcher batcher(forward(), 2, {64, 8}, [this](const BatchStats& s) { metrics.record_batch(s); });
  Service service = make(batcher);
  service.predict(R"({"inputs": [["a"], ["b"]]})");
  metrics.record_request("/predict", 200, 0.003);
  const nlohmann::json info = nlohmann::json::parse(service.info().body);
  EXPECT_EQ(info["labels"], (nlohmann::json{"negative", "positive"}));
  EXPECT_EQ(info["max_input_length"], 8);
  EXPECT_FALSE(info.contains("models"));  // an ensemble's
  EXPECT_EQ(info["model_type"]["classifier"]["label2id"]["positive"], 1);
  const std::string text = service.metrics().body;
  EXPECT_NE(text.find("bertft_requests_total{endpoint=\"/predict\",status=\"200\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("bertft_request_duration_seconds_bucket{endpoint=\"/predict\",le=\"0.005\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("bertft_request_duration_seconds_bucket{endpoint=\"/predict\",le=\"0.0025\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("bertft_inputs_total 2\n"), std::string::npos);
  EXPECT_NE(text.find("bertft_batch_inputs_count 1\n"), std::string::npos);
  EXPECT_NE(text.find("bertft_tokens_total 6\n"), std::string::npos);
  EXPECT_EQ(service.health().status, 200);
  const nlohmann::json openapi = nlohmann::json::parse(service.openapi().body);
  EXPECT_EQ(openapi["openapi"], "3.0.3");
  EXPECT_TRUE(openapi["paths"].contains("/predict"));
}

}  // namespace
}  // namespace bertft
