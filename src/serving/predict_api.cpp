#include "serving/predict_api.h"

#include <algorithm>
#include <numeric>

#include "common/error.h"
#include "common/json_input.h"
#include "kernels/classifier_head.h"
#include "serving/api_error.h"
#include "tokenizer/utf8.h"

namespace bertft {
namespace {

[[noreturn]] void bad_request(const std::string& message) { throw ApiError(400, "Validation", message); }

// Valid UTF-8 (checked before parsing): code points are the bytes that do not continue a sequence.
size_t count_code_points(std::string_view s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

bool flag(const nlohmann::json& request, const char* name) {
  const auto it = request.find(name);
  if (it == request.end() || it->is_null()) return false;
  if (!it->is_boolean()) bad_request(std::string("'") + name + "' must be true or false, got " + brief(*it));
  return it->get<bool>();
}

const std::string& text_at(const nlohmann::json& value, const std::string& where) {
  if (!value.is_string()) bad_request(where + " must be a string, got " + brief(value));
  return value.get_ref<const std::string&>();
}

PredictInput batch_item(const nlohmann::json& item, size_t index) {
  const std::string where = "inputs[" + std::to_string(index) + "]";
  if (item.is_string()) return {item.get<std::string>(), std::nullopt};
  if (!item.is_array() || item.empty() || item.size() > 2)
    bad_request(where + " must be a string, [text] or [text, text_pair], got " + brief(item));
  PredictInput input{text_at(item[0], where + "[0]"), std::nullopt};
  if (item.size() == 2) input.text_pair = text_at(item[1], where + "[1]");
  return input;
}

}  // namespace

PredictRequest parse_predict_request(std::string_view body, const PredictLimits& limits) {
  // nlohmann would reject it too, but quoting the offending bytes back; say plainly what is wrong.
  if (!utf8::is_valid(body)) bad_request("request body is not valid UTF-8");
  nlohmann::json request;
  try {
    request = parse_json_input(body, "request body");
  } catch (const Error& e) {
    bad_request(e.what());
  }
  if (!request.is_object()) bad_request("request body must be a JSON object {\"inputs\": ...}, got " + brief(request));
  const auto inputs = request.find("inputs");
  if (inputs == request.end()) bad_request("request body has no 'inputs'");

  PredictRequest out;
  out.truncate = flag(request, "truncate");
  out.raw_scores = flag(request, "raw_scores");
  if (inputs->is_string()) {
    out.inputs.push_back({inputs->get<std::string>(), std::nullopt});
  } else if (inputs->is_array()) {
    out.batch = true;
    if (inputs->empty()) throw ApiError(400, "Empty", "'inputs' is an empty batch");
    if (inputs->size() > limits.max_client_batch_size)
      throw ApiError(413, "Validation",
                     "batch of " + std::to_string(inputs->size()) + " inputs is more than the maximum of " +
                         std::to_string(limits.max_client_batch_size) + " (--max-client-batch-size)");
    out.inputs.reserve(inputs->size());
    for (size_t i = 0; i < inputs->size(); i++) out.inputs.push_back(batch_item((*inputs)[i], i));
  } else {
    bad_request("'inputs' must be a string or a list, got " + brief(*inputs));
  }
  for (size_t i = 0; i < out.inputs.size(); i++) {
    const PredictInput& input = out.inputs[i];
    const size_t chars = count_code_points(input.text) + (input.text_pair ? count_code_points(*input.text_pair) : 0);
    if (chars > limits.max_input_chars)
      throw ApiError(413, "Validation",
                     (out.batch ? "inputs[" + std::to_string(i) + "]" : std::string("input")) + " has " +
                         std::to_string(chars) + " characters, more than the maximum of " +
                         std::to_string(limits.max_input_chars) + " (--max-input-chars)");
  }
  return out;
}

nlohmann::json prediction_json(const float* logits, const std::vector<std::string>& labels, bool raw_scores) {
  const int C = static_cast<int>(labels.size());
  std::vector<float> scores(logits, logits + C);
  if (!raw_scores) softmax_forward(scores.data(), scores.data(), 1, C);
  std::vector<int> order(C);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return scores[a] > scores[b]; });
  nlohmann::json out = nlohmann::json::array();
  for (int c : order) out.push_back({{"label", labels[c]}, {"score", scores[c]}});
  return out;
}

}  // namespace bertft
