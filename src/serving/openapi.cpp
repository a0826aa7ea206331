#include "serving/openapi.h"

#include <nlohmann/json.hpp>

namespace bertft {
namespace {

nlohmann::json error_response(const char* description) {
  return {{"description", description},
          {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/ErrorResponse"}}}}}}}};
}

nlohmann::json build() {
  using nlohmann::json;
  const json string = {{"type", "string"}};
  const json text_or_pair = {{"type", "array"}, {"items", string}, {"minItems", 1}, {"maxItems", 2},
                             {"description", "[text] or [text, text_pair]"}};
  const json predict_post = {
      {"summary", "Classify one text, a text pair or a batch"},
      {"requestBody",
       {{"required", true},
        {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/PredictRequest"}}}}}}}}},
      {"responses",
       {{"200",
         {{"description", "One prediction list per input; a single text or pair gets one list, a batch a list of lists"},
          {"content", {{"application/json",
                        {{"schema", {{"oneOf", {{{"$ref", "#/components/schemas/Predictions"}},
                                                {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/Predictions"}}}}}}}}}}}}}},
        {"400", error_response("Body not UTF-8 or not JSON, wrong types or shape, empty batch")},
        {"413", error_response("Body, batch or an input too large")},
        {"422", error_response("An input longer than the model's maximum length without \"truncate\": true "
                               "(a server started with --truncation chunks scores a long text by its windows), "
                               "or a truncation_direction other than Left or Right")},
        {"429", error_response("Too many requests in flight")}}}};
  const json ready = {{"summary", "Ready to serve"}, {"responses", {{"200", {{"description", "Ready"}}}}}};
  const json prediction = {{"type", "object"},
                           {"required", {"label", "score"}},
                           {"properties", {{"label", string}, {"score", {{"type", "number"}}}}}};
  const json predictions = {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/Prediction"}}},
                            {"description", "Every label, highest score first"}};
  json doc = {
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "bertft serve"},
        {"version", BERTFT_VERSION},
        {"description", "Text classification with a BERT model, shaped like Hugging Face Text Embeddings Inference."}}},
      {"paths",
       {{"/predict", {{"post", predict_post}}},
        {"/invocations", {{"post", predict_post}}},
        {"/health", {{"get", ready}}},
        {"/ping", {{"get", ready}}},
        {"/info",
         {{"get",
           {{"summary", "Model (an ensemble: its models and their weights), labels, limits and version"},
            {"responses", {{"200", {{"description", "Server information"},
                                    {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}}}}}}}}},
        {"/metrics",
         {{"get",
           {{"summary", "Prometheus metrics"},
            {"responses", {{"200", {{"description", "Prometheus text exposition format"},
                                    {"content", {{"text/plain", {{"schema", string}}}}}}}}}}}}},
        {"/openapi.json",
         {{"get",
           {{"summary", "This document"},
            {"responses", {{"200", {{"description", "OpenAPI 3.0 document"},
                                    {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}}}}}}}}},
        {"/",
         {{"get",
           {{"summary", "Web page: classify a text or a batch of lines in the browser, through /predict"},
            {"responses", {{"200", {{"description", "A self-contained HTML page (inline CSS and JavaScript)"},
                                    {"content", {{"text/html", {{"schema", string}}}}}}}}}}},
          {"post", predict_post}}}}},
      {"components",
       {{"schemas",
         {{"PredictRequest",
           {{"type", "object"},
            {"required", {"inputs"}},
            {"properties",
             {{"inputs",
               {{"description", "A text, [text], a pair [text, text_pair], or a batch of [text] and [text, text_pair]"},
                {"oneOf", {string, text_or_pair, {{"type", "array"}, {"minItems", 1}, {"items", text_or_pair}}}}}},
              {"truncate", {{"type", "boolean"}, {"default", false},
                            {"description", "Cut inputs longer than the maximum length instead of refusing them"}}},
              {"truncation_direction", {{"type", "string"}, {"enum", {"Left", "Right"}}, {"default", "Right"},
                                        {"description", "Which end \"truncate\" cuts: Left keeps the end of the text"}}},
              {"raw_scores", {{"type", "boolean"}, {"default", false},
                              {"description", "Scores are the logits instead of softmax probabilities (for a text scored by its "
                                              "windows, the log of their mean probabilities)"}}}}}}},
          {"Prediction", prediction},
          {"Predictions", predictions},
          {"ErrorResponse",
           {{"type", "object"},
            {"required", {"error", "error_type"}},
            {"properties",
             {{"error", string},
              {"error_type", {{"type", "string"},
                              {"enum", {"Validation", "Empty", "Overloaded", "Backend", "NotFound", "Timeout"}}}}}}}}}}}},
  };
  return doc;
}

}  // namespace

const std::string& openapi_json() {
  static const std::string text = build().dump();
  return text;
}

}  // namespace bertft
