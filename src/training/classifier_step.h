#pragma once
// One forward + backward pass (fp32, or bf16 mixed precision) of BertForSequenceClassification (single-label, mean softmax
// cross-entropy) over a packed batch, matching Hugging Face / PyTorch autograd. Dropout sits where
// HF's modules put it: after the embeddings LayerNorm, on the attention probabilities, after the
// attention output dense and the FFN output dense (before each residual + LayerNorm), and on the
// pooled output before the classifier. Masks come from a counter-based RNG (kernels/dropout.h), so
// a step is reproducible and independent of the thread count.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/precision.h"
#include "kernels/activation.h"
#include "model/bf16_weights.h"
#include "model/config.h"
#include "model/params.h"
#include "training/batch.h"

namespace bertft {

struct StepOptions {
  float hidden_dropout = 0, attention_dropout = 0, classifier_dropout = 0;
  uint64_t dropout_seed = 0;  // vary per step (kernels/dropout.h: dropout_step_seed(seed, step))
  float grad_scale = 1;       // for accumulation: grads += grad_scale * dLoss/dθ
  bool train_encoder = true;  // false (--freeze-encoder): only pooler + classifier get gradients,
                              // the encoder backward is skipped
};

// HF's dropout probabilities for a config: hidden_dropout_prob, attention_probs_dropout_prob, and
// classifier_dropout if set, else hidden_dropout_prob (BertForSequenceClassification's rule).
inline StepOptions step_options_from_config(const BertConfig& config) {
  StepOptions opts;
  opts.hidden_dropout = config.hidden_dropout_prob;
  opts.attention_dropout = config.attention_probs_dropout_prob;
  opts.classifier_dropout = config.classifier_dropout.value_or(config.hidden_dropout_prob);
  return opts;
}

class ClassifierStep {
 public:
  // Allocates every activation buffer once for batches of up to max_batch sequences and max_tokens
  // packed tokens, at the current OpenMP thread count (omp_get_max_threads()); forward_backward
  // then allocates nothing.
  // bf16: the dense layers' and attention's products take bf16 operands (weights rounded from the
  // fp32 parameters at every call); everything else, and every gradient, stays fp32.
  ClassifierStep(const BertConfig& config, size_t max_tokens, int max_batch,
                 Precision precision = Precision::Fp32);
  ~ClassifierStep();
  ClassifierStep(const ClassifierStep&) = delete;
  ClassifierStep& operator=(const ClassifierStep&) = delete;

  // Forward and backward over `batch`; ACCUMULATES grad_scale * dLoss/dθ into `grads` (a BertParams
  // of the same config and heads as `params`, which must carry the pooler and classifier). Word
  // embedding gradients are sparse: only the rows of the batch's token ids (except pad_token_id,
  // as nn.Embedding(padding_idx) does) are written; they are remembered for zero_grads.
  // Returns the batch's mean cross-entropy loss (not scaled). Throws Error for a malformed batch.
  float forward_backward(const BertParams& params, BertParams& grads, const Batch& batch,
                         const StepOptions& opts);

  // Zeroes every dense gradient and the word-embedding rows touched since the last zero_grads.
  void zero_grads(BertParams& grads);

  // Word-embedding rows written since the last zero_grads (unsorted, no duplicates).
  const std::vector<int32_t>& touched_word_rows() const { return touched_; }

  // logits[B, num_labels] of the last forward_backward.
  const float* logits() const;

 private:
  struct Workspace;
  void check_batch(const BertParams& params, const BertParams& grads, const Batch& batch) const;

  BertConfig config_;
  Activation activation_;
  Precision precision_;
  size_t max_tokens_;
  int max_batch_;
  std::unique_ptr<Workspace> ws_;
  std::vector<uint8_t> seen_;     // [vocab_size]: row already in touched_
  std::vector<int32_t> touched_;  // capacity vocab_size
};

}  // namespace bertft
