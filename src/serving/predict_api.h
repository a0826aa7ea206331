#pragma once
// The /predict request and response bodies, in the shape of Hugging Face Text Embeddings Inference:
//   {"inputs": INPUTS, "truncate": false, "raw_scores": false}
// INPUTS is one text ("a"), or a batch: a list whose items are texts ("a") or one-text / text-pair
// lists (["a"], ["a", "b"]), as in TEI's [["a"], ["a", "b"]]. One deliberate difference: TEI reads a
// flat list of two strings, ["a", "b"], as one text pair; here a flat list of strings is a batch of
// texts, so ["a", "b"] gets two predictions (pairs are written [["a", "b"]]). Unknown fields are
// ignored, as TEI ignores them. The reply for one text is a list of {"label", "score"} for every label,
// highest score first; for a batch, one such list per input, in input order.
#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bertft {

struct PredictInput {
  std::string text;
  std::optional<std::string> text_pair;
};

struct PredictRequest {
  std::vector<PredictInput> inputs;
  bool batch = false;  // reply with a list of lists
  bool truncate = false;
  bool raw_scores = false;
};

struct PredictLimits {
  size_t max_client_batch_size = 1024;  // inputs per request
  size_t max_input_chars = 100000;      // code points per input (text and pair together)
};

// Throws ApiError: 400 (not UTF-8, not JSON, wrong shape or types, empty batch) or 413 (too many
// inputs, an input longer than max_input_chars).
PredictRequest parse_predict_request(std::string_view body, const PredictLimits& limits);

// One input's reply: [{"label", "score"}, ...] sorted by score, highest first (ties in label order).
// Scores are softmax probabilities, or the logits themselves with raw_scores.
nlohmann::json prediction_json(const float* logits, const std::vector<std::string>& labels, bool raw_scores);

}  // namespace bertft
