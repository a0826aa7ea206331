#pragma once
// Batched forward pass of a family's ForSequenceClassification model (fp32, or bf16 mixed precision:
// bf16 operands for every matrix product, fp32 accumulation and everything else), with no compute on
// padding: the tokens of a batch are packed into one [total_tokens, H] matrix for every per-token op,
// and attention runs per (sequence, head) over that sequence's own tokens. The encoder is the one
// training runs (model/encoder.h), in inference mode.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/precision.h"
#include "encoding/tokenized_input.h"
#include "model/checkpoint.h"
#include "model/classification_head.h"
#include "model/encoder.h"

namespace bertft {

// Throws Error (message without location: callers prefix the input's name) unless the input has
// 1..max_length tokens, equal-length type ids, ids < vocab_size and (for families with token types)
// type ids < type_vocab_size.
void check_input_fits(const ModelConfig& config, const TokenizedInput& input, int max_length);

class SequenceClassifier {
 public:
  // Sizes every buffer for batches of up to max_batch_size inputs of up to max_length tokens
  // (max_length <= the config's max_sequence_length()) and the current OpenMP thread count. `model`
  // must outlive this object and carry the classification head.
  SequenceClassifier(const Model& model, int max_batch_size, int max_length,
                     Precision precision = Precision::Fp32);
  ~SequenceClassifier();

  // logits[batch.size(), num_labels]. Each input is checked with check_input_fits first. `options`
  // only for their on_layer_output (dropout is off in inference).
  void forward(std::span<const TokenizedInput> batch, float* logits, const StepOptions& options = {});

  int max_batch_size() const { return max_batch_size_; }
  int max_length() const { return max_length_; }

 private:
  const Model& model_;
  int max_batch_size_;
  int max_length_;
  Encoder encoder_;
  ClassificationHead head_;
  // The packed batch: ids and type ids [T], sequence boundaries [B + 1].
  std::vector<int32_t> ids_, type_ids_, offsets_;
};

}  // namespace bertft
