#pragma once
// The encoder half of a training step (fp32, or bf16 mixed precision): embeddings and every
// Transformer layer, forward and backward, over a packed batch, matching Hugging Face / PyTorch
// autograd. The heads (classifier_step.h, masked_lm_step.h) sit on top: they read the forward
// output, fill output_grad() and call backward.
//
// Dropout sits where HF's modules put it: after the embeddings LayerNorm, on the attention
// probabilities, and after the attention output dense and the FFN output dense (before each
// residual + LayerNorm). Masks come from a counter-based RNG (kernels/dropout.h), so a step is
// reproducible and independent of the thread count.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
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
  bool train_encoder = true;  // false (--freeze-encoder): only the head gets gradients, the encoder
                              // backward is skipped
  // Called during the backward pass each time the gradients from `first_final` to the end of the
  // gradient array are complete (the head, then each layer from the last, then the embeddings at
  // offset 0), so that data-parallel training can start summing them across processes while the
  // backward pass goes on (distributed/gradient_reducer.h). Set in a step's last micro-batch only.
  std::function<void(const float* first_final)> on_grads_final;
};

// HF's dropout probabilities for a config: hidden_dropout_prob, attention_probs_dropout_prob, and
// classifier_dropout if set, else hidden_dropout_prob (BertForSequenceClassification's rule).
inline StepOptions step_options_from_config(const ModelConfig& config) {
  StepOptions opts;
  opts.hidden_dropout = config.hidden_dropout_prob;
  opts.attention_dropout = config.attention_probs_dropout_prob;
  opts.classifier_dropout = config.classifier_dropout.value_or(config.hidden_dropout_prob);
  return opts;
}

// Which rows of the last layer's output the head reads. Classification needs only [CLS]: the last
// layer then computes its queries, attention output, feed-forward and LayerNorms for those B rows,
// and its keys and values for all T.
enum class EncoderOutput { kClsRows, kAllRows };

class EncoderStep {
 public:
  // Allocates every activation buffer once for batches of up to max_batch sequences and max_tokens
  // packed tokens, at the current OpenMP thread count (omp_get_max_threads()); forward and backward
  // then allocate nothing.
  // bf16: the dense layers' and attention's products take bf16 operands (weights rounded from the
  // fp32 parameters at every forward); everything else, and every gradient, stays fp32.
  EncoderStep(const ModelConfig& config, size_t max_tokens, int max_batch, Precision precision, EncoderOutput output);
  ~EncoderStep();
  EncoderStep(const EncoderStep&) = delete;
  EncoderStep& operator=(const EncoderStep&) = delete;

  // Throws Error for a batch this step cannot take (sizes, ids, offsets, lengths; not labels) and
  // std::logic_error for parameters or gradients of another config.
  void check_batch(const ModelParams& params, const ModelParams& grads, const Batch& batch) const;

  // The last layer's output: [B, H] at the [CLS] rows, or [T, H]. Valid until the next forward.
  // The batch must have passed check_batch.
  const float* forward(const ModelParams& params, const Batch& batch, const StepOptions& opts);

  // dLoss/d(forward's output), same shape; the head writes it before backward.
  float* output_grad();

  // Backward of the last forward (same params, batch and options); ACCUMULATES into grads. Word
  // embedding gradients are sparse: only the rows of the batch's token ids (except pad_token_id, as
  // nn.Embedding(padding_idx) does) are written; they are remembered for zero_grads.
  void backward(const ModelParams& params, ModelParams& grads, const Batch& batch, const StepOptions& opts);

  // Zeroes every dense gradient and the word-embedding rows touched since the last zero_grads.
  void zero_grads(ModelParams& grads);
  // Forgets the touched rows without zeroing them (for a caller that zeroes the whole table).
  void forget_touched_rows();
  // Counts `rows` as touched (data-parallel training: rows other processes wrote into the summed
  // gradient), so the gradient norm reads them and zero_grads clears them.
  void add_touched_rows(std::span<const int32_t> rows);

  // Word-embedding rows written since the last zero_grads (unsorted, no duplicates).
  const std::vector<int32_t>& touched_word_rows() const { return touched_; }

  const ModelConfig& config() const { return config_; }
  Precision precision() const { return precision_; }

 private:
  struct Workspace;

  ModelConfig config_;
  Activation activation_;
  Precision precision_;
  EncoderOutput output_;
  size_t max_tokens_;
  int max_batch_;
  std::unique_ptr<Workspace> ws_;
  std::vector<uint8_t> seen_;     // [vocab_size]: row already in touched_
  std::vector<int32_t> touched_;  // capacity vocab_size
};

// Rounds src[n] to bf16, counted as Op::Convert in the profile.
void round_bf16(bf16* dst, const float* src, int64_t n);

}  // namespace bertft
