#include "inference/classifier.h"

#include <limits>
#include <stdexcept>

#include "common/error.h"

namespace bertft {

void check_input_fits(const ModelConfig& config, const TokenizedInput& input, int max_length) {
  const size_t n = input.ids.size();
  if (n == 0) throw Error("input has no tokens (it needs at least [CLS])");
  if (n > static_cast<size_t>(max_length))
    throw Error("input has " + std::to_string(n) + " tokens, more than the maximum length " +
                std::to_string(max_length));
  if (input.type_ids.size() != n)
    throw Error("input has " + std::to_string(n) + " token ids but " +
                std::to_string(input.type_ids.size()) + " token type ids");
  for (size_t i = 0; i < n; i++) {
    if (input.ids[i] < 0 || input.ids[i] >= config.vocab_size)
      throw Error("token id " + std::to_string(input.ids[i]) + " at position " + std::to_string(i) +
                  " is outside the model's vocab_size " + std::to_string(config.vocab_size) +
                  " (do the tokenizer files and config.json belong together?)");
    if (config.has_token_types() && (input.type_ids[i] < 0 || input.type_ids[i] >= config.type_vocab_size))
      throw Error("token type id " + std::to_string(input.type_ids[i]) + " at position " +
                  std::to_string(i) + " is outside the model's type_vocab_size " +
                  std::to_string(config.type_vocab_size));
  }
}

namespace {

// The constructor's checks, before the encoder allocates for the sizes they vouch for.
size_t checked_tokens(const Model& model, int max_batch_size, int max_length) {
  const ModelConfig& c = model.config;
  if (max_length < 1 || max_length > c.max_sequence_length())
    throw Error("maximum length " + std::to_string(max_length) + " is outside 1.." +
                std::to_string(c.max_sequence_length()) + " (the model's max_position_embeddings" +
                (c.first_position() > 0 ? " less the first position " + std::to_string(c.first_position()) : "") +
                ")");
  if (max_batch_size < 1) throw Error("batch size must be at least 1");
  if (!model.params.head_out_w)
    throw std::logic_error("SequenceClassifier needs a model loaded with the classification head");
  const int64_t T = static_cast<int64_t>(max_batch_size) * max_length;
  if (T > std::numeric_limits<int>::max())
    throw Error("batch size " + std::to_string(max_batch_size) + " x maximum length " +
                std::to_string(max_length) + " is too many tokens for one batch");
  return static_cast<size_t>(T);
}

}  // namespace

SequenceClassifier::SequenceClassifier(const Model& model, int max_batch_size, int max_length,
                                       Precision precision)
    : model_(model),
      max_batch_size_(max_batch_size),
      max_length_(max_length),
      encoder_(model.config, checked_tokens(model, max_batch_size, max_length), max_batch_size, precision,
               ClassificationHead::encoder_output(model.config), EncoderMode::kInference),
      head_(model.config, max_batch_size) {
  encoder_.check_params(model.params);
  const size_t T = static_cast<size_t>(max_batch_size) * max_length;
  ids_.reserve(T);
  type_ids_.reserve(T);
  offsets_.reserve(max_batch_size + 1);
}

SequenceClassifier::~SequenceClassifier() = default;

void SequenceClassifier::forward(std::span<const TokenizedInput> batch, float* logits, const StepOptions& options) {
  const int B = static_cast<int>(batch.size());
  if (B > max_batch_size_) throw std::logic_error("batch larger than the workspace was sized for");
  if (B == 0) return;
  ids_.clear();
  type_ids_.clear();
  offsets_.assign(1, 0);
  for (const TokenizedInput& input : batch) {
    check_input_fits(model_.config, input, max_length_);
    ids_.insert(ids_.end(), input.ids.begin(), input.ids.end());
    type_ids_.insert(type_ids_.end(), input.type_ids.begin(), input.type_ids.end());
    offsets_.push_back(static_cast<int32_t>(ids_.size()));
  }
  const PackedTokens tokens{ids_, type_ids_, offsets_, {}};
  StepOptions inference;
  inference.on_layer_output = options.on_layer_output;
  const float* hidden = encoder_.forward(model_.params, tokens, inference);
  head_.forward(model_.params, hidden, tokens, logits, 0.0f, 0);
}

}  // namespace bertft
