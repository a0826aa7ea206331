#pragma once
// The prediction request and response bodies, in two dialects.
//
// Text Embeddings Inference (POST /predict, /invocations, and / under --api tei):
//   {"inputs": INPUTS, "truncate": false, "truncation_direction": "Right", "raw_scores": false}
// INPUTS is read as TEI reads it: a text ("a"), a one-text list (["a"]) or a text pair (["a", "b"]),
// each answered with one list; or a batch, a list of one-text and pair lists ([["a"], ["a", "b"]]),
// answered with one list per input, in order. A flat list of three or more texts is refused.
// truncation_direction "Left" keeps the end of a text that "truncate" cuts.
//
// Hugging Face Inference API (POST / under --api hf-inference), as its clients send and read it
// (@huggingface/inference's textClassification, huggingface_hub's InferenceClient.text_classification):
//   {"inputs": TEXT | [TEXT, ...], "parameters": {"top_k", "function_to_apply", "truncate",
//    "truncation_direction"}}
// answered with one list per text, always inside an outer list: [[{"label", "score"}, ...]].
//
// Unknown fields are ignored, as TEI ignores them. Each list holds {"label", "score"} for every label
// (or the top_k), highest score first.
#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace bertft {

enum class ApiDialect { Tei, HfInference };

// How logits become scores: softmax probabilities (the default), sigmoid of each logit (multi-label
// models), or the logits themselves (TEI's raw_scores, HF's function_to_apply "none").
enum class ScoreFunction { Softmax, Sigmoid, None };

struct PredictInput {
  std::string text;
  std::optional<std::string> text_pair;
};

struct PredictRequest {
  std::vector<PredictInput> inputs;
  bool batch = false;  // TEI: reply with a list of lists
  bool truncate = false;
  TruncationSide truncation_side = TruncationSide::Right;
  ScoreFunction scores = ScoreFunction::Softmax;
  size_t top_k = 0;  // 0: every label
};

struct PredictLimits {
  size_t max_client_batch_size = 1024;  // inputs per request
  size_t max_input_chars = 100000;      // code points per input (text and pair together)
};

// Throws ApiError: 400 (not UTF-8, not JSON, wrong shape or types, empty batch), 413 (too many inputs,
// an input longer than max_input_chars) or 422 (a truncation_direction other than Left or Right).
PredictRequest parse_predict_request(std::string_view body, const PredictLimits& limits,
                                     ApiDialect dialect = ApiDialect::Tei);

// One input's reply: [{"label", "score"}, ...] sorted by score, highest first (ties in label order),
// the first top_k of them (0: all).
nlohmann::json prediction_json(const float* logits, const std::vector<std::string>& labels, ScoreFunction scores,
                               size_t top_k = 0);

// The reply body's JSON for every input's logits (inputs.size() x labels.size()), in the request's
// shape.
nlohmann::json predict_reply(const PredictRequest& request, const float* logits, const std::vector<std::string>& labels);

}  // namespace bertft
