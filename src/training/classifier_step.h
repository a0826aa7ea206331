#pragma once
// One forward + backward pass (fp32, or bf16 mixed precision) of a family's ForSequenceClassification
// model (single-label, mean softmax cross-entropy against the labels or the batch's class
// probabilities) over a packed batch, matching Hugging Face / PyTorch autograd: the encoder
// (model/encoder.h; with cls pooling the first-token rows of the last layer only), then the
// classification head (model/classification_head.h) on its pooled rows.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "common/precision.h"
#include "model/config.h"
#include "model/params.h"
#include "training/batch.h"
#include "model/classification_head.h"
#include "model/encoder.h"

namespace bertft {

class ClassifierStep {
 public:
  // Sizes as Encoder's; forward_backward then allocates nothing.
  ClassifierStep(const ModelConfig& config, size_t max_tokens, int max_batch,
                 Precision precision = Precision::Fp32);
  ~ClassifierStep();
  ClassifierStep(const ClassifierStep&) = delete;
  ClassifierStep& operator=(const ClassifierStep&) = delete;

  // Forward and backward over `batch`; ACCUMULATES grad_scale * dLoss/dθ into `grads` (a ModelParams
  // of the same config and heads as `params`, which must carry the classification head). Word
  // embedding gradients are sparse (Encoder::backward). Returns the batch's mean cross-entropy
  // loss (not scaled). Throws Error for a malformed batch.
  float forward_backward(const ModelParams& params, ModelParams& grads, const Batch& batch,
                         const StepOptions& opts);

  // Zeroes every dense gradient and the word-embedding rows touched since the last zero_grads.
  void zero_grads(ModelParams& grads) { encoder_.zero_grads(grads); }

  // Word-embedding rows written since the last zero_grads (unsorted, no duplicates).
  const std::vector<int32_t>& touched_word_rows() const { return encoder_.touched_word_rows(); }
  void add_touched_word_rows(std::span<const int32_t> rows) { encoder_.add_touched_rows(rows); }

  // logits[B, num_labels] of the last forward_backward.
  const float* logits() const { return logits_; }

 private:
  void check_batch(const ModelParams& params, const ModelParams& grads, const Batch& batch) const;

  Encoder encoder_;
  ClassificationHead head_;
  std::unique_ptr<float[]> storage_;
  float* logits_;    // [B, C]
  float* dlogits_;   // [B, C]
};

}  // namespace bertft
