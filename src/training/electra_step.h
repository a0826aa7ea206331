#pragma once
// One ELECTRA pretraining step (Clark et al. 2020), fp32 or bf16 mixed precision, over a joint model
// (ModelParams' generator constructor). The generator, a small masked LM (training/masked_lm_step.h),
// reads the masked batch and samples a token at each masked position from its prediction there; the
// discriminator reads the batch with those samples in place of the masks and predicts at every token
// whether it was replaced (a sample equal to the original counts as original): dense -> hidden_act ->
// dense_prediction, HF's ElectraForPreTraining, with BCEWithLogits over all the tokens.
//   loss = generator's mean cross-entropy over the masked tokens
//          + discriminator_weight x discriminator's mean binary cross-entropy over the tokens
// No gradient flows through the sampling; the embeddings the two share get both gradients.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "common/precision.h"
#include "model/config.h"
#include "model/encoder.h"
#include "model/params.h"
#include "training/batch.h"
#include "training/masked_lm_step.h"

namespace bertft {

// ELECTRA's generator for a discriminator config: `size` times its hidden width, attention heads and
// intermediate width (ELECTRA's generator_hidden_size; at least one head), as many layers, and the
// discriminator's embedding width, since the two share their embeddings. Throws Error for a size that
// makes no valid config.
ModelConfig generator_config(const ModelConfig& discriminator, double size);

struct ElectraResult {
  float loss = 0;                      // generator_loss + discriminator_weight x discriminator_loss
  float generator_loss = 0;            // mean over the masked tokens
  float discriminator_loss = 0;        // mean over the tokens
  int64_t generator_correct = 0;       // masked tokens whose most likely prediction is the original
  int64_t discriminator_correct = 0;   // tokens the discriminator labels right (replaced: logit > 0)
  int64_t replaced = 0;                // tokens whose sample differs from the original
};

class ElectraStep {
 public:
  // Sizes as MaskedLMStep's, for both models.
  ElectraStep(const ModelConfig& discriminator, const ModelConfig& generator, size_t max_tokens, int max_batch,
              size_t max_masked, Precision precision, float discriminator_weight);
  ~ElectraStep();
  ElectraStep(const ElectraStep&) = delete;
  ElectraStep& operator=(const ElectraStep&) = delete;

  // batch: the generator's (masked) input; masked: its masked tokens, with a draw each. Forward and
  // backward; ACCUMULATES opts.grad_scale x d(generator loss) + discriminator_grad_scale x
  // d(discriminator loss) into grads (joint, as params). Throws Error for a malformed batch.
  ElectraResult forward_backward(const ModelParams& params, ModelParams& grads, const Batch& batch,
                                 const MaskedTokens& masked, const StepOptions& opts, float discriminator_grad_scale);
  // The forward pass and the losses only (evaluation); grads untouched.
  ElectraResult forward(const ModelParams& params, const Batch& batch, const MaskedTokens& masked,
                        const StepOptions& opts);

  // The last step's discriminator logits and labels (1: replaced), one per token of the batch.
  std::span<const float> discriminator_logits() const;
  std::span<const uint8_t> replaced() const { return replaced_; }
  // The discriminator's input of the last step: the batch's ids with the samples in place.
  std::span<const int32_t> discriminator_ids() const { return corrupted_.ids; }

  // Zeroes every gradient of the joint model.
  void zero_grads(ModelParams& grads);

 private:
  struct Workspace;
  ElectraResult run(const ModelParams& params, ModelParams* grads, const Batch& batch, const MaskedTokens& masked,
                    const StepOptions& opts, float discriminator_grad_scale);
  // The replaced-token head over the discriminator's output [T, H]: loss and correct tokens, and with
  // grads its backward into the encoder's output gradient.
  void discriminator_head(const ModelParams& params, ModelParams* grads, const float* hidden, float grad_scale,
                          ElectraResult& result);

  MaskedLMStep generator_;
  Encoder discriminator_;
  Activation activation_;
  float discriminator_weight_;
  std::unique_ptr<Workspace> ws_;
  Batch corrupted_;
  std::vector<uint8_t> replaced_;
};

}  // namespace bertft
