#pragma once
// The sequence-classification head of every family (fp32), on one row per sequence: the encoder's
// first-token row (config.classifier_pooling cls, as transformers), or the mean or max of the rows of
// the sequence's real tokens (kernels/pooling.h):
//   BERT        pooler dense -> tanh -> dropout -> classifier
//   DistilBERT  pre_classifier -> ReLU -> dropout -> classifier
//   RoBERTa     dropout -> classifier.dense -> tanh -> dropout -> classifier.out_proj
//   ELECTRA     dropout -> classifier.dense -> GELU -> dropout -> classifier.out_proj
// (architecture.h: head_activation, head_dropout_before_dense). Dropout masks come from the step's
// seed, on streams of their own.
#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/activation.h"
#include "model/config.h"
#include "model/encoder.h"
#include "model/params.h"

namespace bertft {

class ClassificationHead {
 public:
  // Buffers for up to max_batch sequences.
  ClassificationHead(const ModelConfig& config, int max_batch);
  ~ClassificationHead();

  // The encoder output the head reads for `config`: the first-token rows for cls pooling, every row
  // for mean and max.
  static EncoderOutput encoder_output(const ModelConfig& config);

  // logits[B, num_labels] for the B sequences of `tokens` from the encoder's output `hidden`
  // (encoder_output: [B, H] or [T, H]); dropout p (0 in inference) with masks from seed. `hidden`
  // must stay unchanged until backward.
  void forward(const ModelParams& params, const float* hidden, const PackedTokens& tokens, float* logits, float p,
               uint64_t seed);
  // Backward of the last forward given dlogits[B, num_labels]: ACCUMULATES the head's gradients into
  // grads and writes dLoss/dhidden into dhidden (hidden's shape; nullptr: skipped, e.g. a frozen
  // encoder).
  void backward(const ModelParams& params, ModelParams& grads, const float* hidden, const PackedTokens& tokens,
                const float* dlogits, float* dhidden, float p, uint64_t seed);

 private:
  ModelConfig config_;
  std::unique_ptr<float[]> storage_;
  float* pooled_;     // [B, H] mean or max pooling's output (cls reads the encoder's rows as they are)
  float* d_pooled_;   // [B, H]
  std::vector<int32_t> max_rows_;  // [B, H] max pooling's argmax (kernels/pooling.h)
  float* features_;   // [B, H] dropout(pooled rows): the dense's input (RoBERTa, ELECTRA)
  float* pre_;        // [B, H] dense output
  float* act_;        // [B, H] activation output
  float* dropped_;    // [B, H] dropout(act): the output layer's input
  float* d_dropped_;  // [B, H]
  float* d_pre_;      // [B, H]
};

}  // namespace bertft
