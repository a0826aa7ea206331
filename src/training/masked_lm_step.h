#pragma once
// One forward + backward pass (fp32, or bf16 mixed precision) of a family's ForMaskedLM model over a
// packed batch, matching Hugging Face / PyTorch autograd: the encoder (model/encoder.h, every row),
// then the LM head — transform dense [E, H] + activation (config.hidden_act; GELU for RoBERTa and
// ELECTRA's generator) + LayerNorm, decoder tied to the word embeddings [V, E], plus its bias — and
// the mean cross-entropy over the masked tokens.
// HF runs the head on every token and ignores the unmasked ones (label -100); here it runs on the
// masked rows only, which gives the same loss and gradients for a fraction of the work.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/precision.h"
#include "kernels/activation.h"
#include "model/config.h"
#include "model/params.h"
#include "training/batch.h"
#include "model/encoder.h"

namespace bertft {

// The masked tokens of a batch: positions (ascending, distinct) index the packed tokens, targets
// are the original ids the model must predict there (HF's labels, without the -100 entries). draws,
// when not empty, hold a uniform number in [0, 1) per masked token, with which the step samples a
// replacement from the model's prediction there (ELECTRA's generator).
struct MaskedTokens {
  std::vector<int32_t> positions;
  std::vector<int32_t> targets;
  std::vector<float> draws;
  void clear() {
    positions.clear();
    targets.clear();
    draws.clear();
  }
};

struct MaskedLMResult {
  float loss = 0;        // mean cross-entropy over the masked tokens
  int64_t correct = 0;   // masked tokens whose most likely prediction is the target
};

class MaskedLMStep {
 public:
  // Sizes as Encoder's, plus at most max_masked masked tokens per batch.
  MaskedLMStep(const ModelConfig& config, size_t max_tokens, int max_batch, size_t max_masked,
               Precision precision = Precision::Fp32);
  ~MaskedLMStep();
  MaskedLMStep(const MaskedLMStep&) = delete;
  MaskedLMStep& operator=(const MaskedLMStep&) = delete;

  // Forward and backward; ACCUMULATES grad_scale * dLoss/dθ into `grads` (same config and heads as
  // `params`, which must carry the MLM head). The decoder makes the word-embedding gradient dense.
  // Throws Error for a malformed batch or masked tokens.
  MaskedLMResult forward_backward(const ModelParams& params, ModelParams& grads, const Batch& batch,
                                  const MaskedTokens& masked, const StepOptions& opts);
  // The forward pass and the loss only (evaluation); grads untouched.
  MaskedLMResult forward(const ModelParams& params, const Batch& batch, const MaskedTokens& masked,
                         const StepOptions& opts);

  // Zeroes every gradient (of a generator view: its own tensors only, not the embeddings it shares).
  void zero_grads(ModelParams& grads);

  // With MaskedTokens::draws: the token sampled at each masked position by the last forward, from the
  // softmax of its logits (vocab_crossentropy_forward_backward).
  const std::vector<int32_t>& sampled() const { return sampled_; }

 private:
  struct Workspace;
  void check(const ModelParams& params, const ModelParams& grads, const Batch& batch, const MaskedTokens& masked) const;
  MaskedLMResult run(const ModelParams& params, ModelParams* grads, const Batch& batch, const MaskedTokens& masked,
                     const StepOptions& opts);
  // The head over the encoder output `hidden` [T, H]: loss, and with grads its backward down to
  // ws_->d_gathered (the gradient at the masked rows).
  MaskedLMResult head(const ModelParams& params, ModelParams* grads, const float* hidden, const MaskedTokens& masked,
                      const StepOptions& opts);

  Encoder encoder_;
  Activation activation_;
  size_t max_masked_;
  std::unique_ptr<Workspace> ws_;
  std::vector<int32_t> sampled_;
};

}  // namespace bertft
