#include "serving/predict_api.h"

#include <algorithm>
#include <cmath>
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

// Member `name` of `object`, or nullptr when absent or null.
const nlohmann::json* member(const nlohmann::json& object, const char* name) {
  const auto it = object.find(name);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

bool flag(const nlohmann::json& object, const char* name, const std::string& where) {
  const nlohmann::json* value = member(object, name);
  if (!value) return false;
  if (!value->is_boolean()) bad_request("'" + where + name + "' must be true or false, got " + brief(*value));
  return value->get<bool>();
}

TruncationSide truncation_side(const nlohmann::json& object, const std::string& where) {
  const nlohmann::json* value = member(object, "truncation_direction");
  if (!value) return TruncationSide::Right;
  if (value->is_string() && value->get_ref<const std::string&>() == "Left") return TruncationSide::Left;
  if (value->is_string() && value->get_ref<const std::string&>() == "Right") return TruncationSide::Right;
  throw ApiError(422, "Validation", "'" + where + "truncation_direction' must be \"Left\" or \"Right\", got " + brief(*value));
}

const std::string& text_at(const nlohmann::json& value, const std::string& where) {
  if (!value.is_string()) bad_request(where + " must be a string, got " + brief(value));
  return value.get_ref<const std::string&>();
}

// ["a"] or ["a", "b"]: one text or a text pair.
PredictInput sequence(const nlohmann::json& list, const std::string& where) {
  if (!list.is_array() || list.empty() || list.size() > 2)
    bad_request(where + " must be [text] or [text, text_pair], got " + brief(list));
  PredictInput input{text_at(list[0], where + "[0]"), std::nullopt};
  if (list.size() == 2) input.text_pair = text_at(list[1], where + "[1]");
  return input;
}

void check_batch_size(size_t inputs, const PredictLimits& limits) {
  if (inputs > limits.max_client_batch_size)
    throw ApiError(413, "Validation",
                   "batch of " + std::to_string(inputs) + " inputs is more than the maximum of " +
                       std::to_string(limits.max_client_batch_size) + " (--max-client-batch-size)");
}

// TEI's reading of "inputs": a list that starts with a text is one input (a text or a pair); a list
// of lists is a batch.
void read_tei_inputs(const nlohmann::json& inputs, const PredictLimits& limits, PredictRequest& out) {
  if (inputs.is_string()) {
    out.inputs.push_back({inputs.get<std::string>(), std::nullopt});
    return;
  }
  if (!inputs.is_array())
    bad_request("'inputs' must be a text, a pair [text, text_pair] or a batch [[text], [text, text_pair], ...], got " +
                brief(inputs));
  if (inputs.empty()) throw ApiError(400, "Empty", "'inputs' is an empty batch");
  if (inputs[0].is_string()) {
    if (inputs.size() > 2)
      bad_request("'inputs' is a list of " + std::to_string(inputs.size()) +
                  " texts: a list of texts is one text or a pair [text, text_pair]; send a batch as "
                  "[[text], [text], ...]");
    out.inputs.push_back(sequence(inputs, "inputs"));
    return;
  }
  out.batch = true;
  check_batch_size(inputs.size(), limits);
  out.inputs.reserve(inputs.size());
  for (size_t i = 0; i < inputs.size(); i++) out.inputs.push_back(sequence(inputs[i], "inputs[" + std::to_string(i) + "]"));
}

// The HF Inference API's: a text, or a list of texts each classified on its own.
void read_hf_inputs(const nlohmann::json& inputs, const PredictLimits& limits, PredictRequest& out) {
  if (inputs.is_string()) {
    out.inputs.push_back({inputs.get<std::string>(), std::nullopt});
    return;
  }
  if (!inputs.is_array()) bad_request("'inputs' must be a text or a list of texts, got " + brief(inputs));
  if (inputs.empty()) throw ApiError(400, "Empty", "'inputs' is an empty list");
  check_batch_size(inputs.size(), limits);
  for (size_t i = 0; i < inputs.size(); i++)
    out.inputs.push_back({text_at(inputs[i], "inputs[" + std::to_string(i) + "]"), std::nullopt});
}

void read_hf_parameters(const nlohmann::json& request, PredictRequest& out) {
  const nlohmann::json* parameters = member(request, "parameters");
  if (!parameters) return;
  if (!parameters->is_object()) bad_request("'parameters' must be an object, got " + brief(*parameters));
  out.truncate = flag(*parameters, "truncate", "parameters.");
  out.truncation_side = truncation_side(*parameters, "parameters.");
  if (const nlohmann::json* top_k = member(*parameters, "top_k")) {
    if (!top_k->is_number_integer() || top_k->get<int64_t>() < 1)
      bad_request("'parameters.top_k' must be a positive integer, got " + brief(*top_k));
    out.top_k = top_k->get<size_t>();
  }
  if (const nlohmann::json* function = member(*parameters, "function_to_apply")) {
    const std::string name = function->is_string() ? function->get<std::string>() : "";
    if (name == "softmax") out.scores = ScoreFunction::Softmax;
    else if (name == "sigmoid") out.scores = ScoreFunction::Sigmoid;
    else if (name == "none") out.scores = ScoreFunction::None;
    else bad_request("'parameters.function_to_apply' must be \"softmax\", \"sigmoid\" or \"none\", got " + brief(*function));
  }
}

}  // namespace

PredictRequest parse_predict_request(std::string_view body, const PredictLimits& limits, ApiDialect dialect) {
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
  if (dialect == ApiDialect::Tei) {
    out.truncate = flag(request, "truncate", "");
    out.truncation_side = truncation_side(request, "");
    if (flag(request, "raw_scores", "")) out.scores = ScoreFunction::None;
    read_tei_inputs(*inputs, limits, out);
  } else {
    out.batch = true;
    read_hf_parameters(request, out);
    read_hf_inputs(*inputs, limits, out);
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

nlohmann::json prediction_json(const float* logits, const std::vector<std::string>& labels, ScoreFunction function,
                               size_t top_k) {
  const int C = static_cast<int>(labels.size());
  std::vector<float> scores(logits, logits + C);
  if (function == ScoreFunction::Softmax) softmax_forward(scores.data(), scores.data(), 1, C);
  if (function == ScoreFunction::Sigmoid)
    for (float& s : scores) s = 1.0f / (1.0f + std::exp(-s));
  std::vector<int> order(C);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return scores[a] > scores[b]; });
  if (top_k > 0 && top_k < order.size()) order.resize(top_k);
  nlohmann::json out = nlohmann::json::array();
  for (int c : order) out.push_back({{"label", labels[c]}, {"score", scores[c]}});
  return out;
}

nlohmann::json predict_reply(const PredictRequest& request, const float* logits, const std::vector<std::string>& labels) {
  nlohmann::json reply = nlohmann::json::array();
  for (size_t i = 0; i < request.inputs.size(); i++)
    reply.push_back(prediction_json(logits + i * labels.size(), labels, request.scores, request.top_k));
  // TEI answers a single input with its list alone; the HF Inference API always with the outer list.
  if (!request.batch) return std::move(reply[0]);
  return reply;
}

}  // namespace bertft
