#pragma once
// Batched forward pass of BertForSequenceClassification (fp32, or bf16 mixed precision: bf16
// operands for every matrix product, fp32 accumulation and everything else), with no compute on padding: the tokens
// of a batch are packed into one [total_tokens, H] matrix for every per-token op, and attention runs
// per (sequence, head) over that sequence's own tokens.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/precision.h"
#include "kernels/activation.h"
#include "model/bf16_weights.h"
#include "model/checkpoint.h"

namespace bertft {

// One tokenized input: [CLS] ... [SEP] ids and their segment (token type) ids, same length.
struct TokenizedInput {
  std::vector<int32_t> ids;
  std::vector<int32_t> type_ids;
};

// Throws Error (message without location: callers prefix the input's name) unless the input has
// 1..max_length tokens, equal-length type ids, ids < vocab_size and type ids < type_vocab_size.
void check_input_fits(const ModelConfig& config, const TokenizedInput& input, int max_length);

class SequenceClassifier {
 public:
  // Sizes every buffer for batches of up to max_batch_size inputs of up to max_length tokens
  // (max_length <= max_position_embeddings) and the current OpenMP thread count. `model` must
  // outlive this object and carry the pooler and classifier heads.
  SequenceClassifier(const Model& model, int max_batch_size, int max_length,
                     Precision precision = Precision::Fp32);
  ~SequenceClassifier();

  // logits[batch.size(), num_labels]. Each input is checked with check_input_fits first.
  void forward(std::span<const TokenizedInput> batch, float* logits);

  int max_batch_size() const { return max_batch_size_; }
  int max_length() const { return max_length_; }

 private:
  struct Workspace;
  void encoder_layer_forward(int layer, int64_t tokens, int num_seqs);
  void last_layer_cls_forward(int layer, int64_t tokens, int num_seqs);
  void dense(float* out, const float* in, bf16* in_b, const float* weight, const bf16* weight_b,
             const float* bias, int64_t rows, int64_t N, int64_t K);
  void feed_forward(float* out, const float* in, int layer, int64_t rows);
  static void round_to_bf16(bf16* dst, const float* src, int64_t n);

  const Model& model_;
  Activation activation_;
  Precision precision_;
  int max_batch_size_;
  int max_length_;
  std::unique_ptr<Workspace> ws_;
  std::unique_ptr<EncoderWeightsBf16> weights_b_;  // bf16 mode only
};

}  // namespace bertft
