#pragma once
// The encoder of every family (model/architecture.h): embeddings and the Transformer layers, forward
// and backward over a packed batch, matching Hugging Face / PyTorch autograd. Training and inference
// run the same layer functions; inference is the forward pass with transient buffers (one set shared
// by all layers, no statistics kept for a backward pass). The heads (model/classification_head.h,
// training/masked_lm_step.h) sit on top: they read the forward output and, in training, fill
// output_grad() and call backward.
//
// Dropout sits where HF's modules put it: after the embeddings LayerNorm, on the attention
// probabilities, after the attention output dense (not in DistilBERT) and after the FFN output dense
// (before each residual + LayerNorm). Masks come from a counter-based RNG (kernels/dropout.h), so a
// step is reproducible and independent of the thread count.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "common/precision.h"
#include "kernels/activation.h"
#include "model/config.h"
#include "model/dense.h"
#include "model/params.h"

namespace bertft {

// A batch's tokens, packed: sequence b owns tokens [offsets[b], offsets[b + 1]). Padded batches (for
// comparison with frameworks that pad) give lengths: sequence b's first lengths[b] tokens are real,
// the rest are masked out of attention.
struct PackedTokens {
  std::span<const int32_t> ids, type_ids;  // [T]; type_ids ignored by families without token types
  std::span<const int32_t> offsets;        // [B + 1], offsets[0] = 0, offsets[B] = T
  std::span<const int32_t> lengths;        // [B] or empty
  int num_seqs() const { return offsets.empty() ? 0 : static_cast<int>(offsets.size()) - 1; }
  int64_t num_tokens() const { return static_cast<int64_t>(ids.size()); }
};

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
  // Called in the forward pass with each layer's output (bertft quantize --report): rows [rows, H], all
  // T tokens, or with EncoderOutput::kClsRows the B first-token rows for the last layer.
  std::function<void(int layer, const float* output, int64_t rows)> on_layer_output;
};

// HF's dropout probabilities for a config: hidden_dropout_prob, attention_probs_dropout_prob, and the
// classification head's (classifier_dropout if set, else hidden_dropout_prob; DistilBERT's
// seq_classif_dropout).
StepOptions step_options_from_config(const ModelConfig& config);

// Which rows of the last layer's output the head reads. Classification from the first token
// (classifier_pooling cls) needs only that token of each sequence: the last layer then computes its
// queries, attention output, feed-forward and LayerNorms for those B rows, and its keys and values for
// all T. Mean and max pooling, and the token-level heads, read all T rows.
enum class EncoderOutput { kClsRows, kAllRows };
enum class EncoderMode { kTraining, kInference };

class Encoder {
 public:
  // Allocates every buffer once for batches of up to max_batch sequences and max_tokens packed tokens,
  // at the current OpenMP thread count (omp_get_max_threads()); forward and backward then allocate
  // nothing. bf16: the dense layers' and attention's products take bf16 operands; everything else,
  // and every gradient, stays fp32. Training rounds the weights at every forward (the optimizer
  // changes them); inference rounds them at the first forward only. int8 (inference only): the dense
  // layers' products in int8 (weights quantized at the first forward), attention's in bf16 where the
  // CPU has it natively (else fp32), everything else fp32.
  Encoder(const ModelConfig& config, size_t max_tokens, int max_batch, Precision precision, EncoderOutput output,
          EncoderMode mode = EncoderMode::kTraining);
  ~Encoder();
  Encoder(const Encoder&) = delete;
  Encoder& operator=(const Encoder&) = delete;

  // Throws Error for tokens this encoder cannot take (sizes, ids, offsets, lengths), naming no input:
  // callers prefix it.
  void check_tokens(const PackedTokens& tokens) const;
  // Throws std::logic_error for parameters (or gradients) of another config.
  void check_params(const ModelParams& params) const;

  // The last layer's output: [B, H] at each sequence's first token, or [T, H]. Valid until the next
  // forward. The tokens must have passed check_tokens.
  const float* forward(const ModelParams& params, const PackedTokens& tokens, const StepOptions& opts);

  // Training: dLoss/d(forward's output), same shape; the head writes it before backward.
  float* output_grad();
  // Backward of the last forward (same params, tokens and options); ACCUMULATES into grads. Word
  // embedding gradients are sparse: only the rows of the batch's token ids (except pad_token_id, as
  // nn.Embedding(padding_idx) does) are written; they are remembered for zero_grads. Fixed tensors
  // (DistilBERT's sinusoidal positions) get no gradient.
  void backward(const ModelParams& params, ModelParams& grads, const PackedTokens& tokens, const StepOptions& opts);

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
  struct LayerDense;
  struct AttentionLayout;
  AttentionLayout all_rows_attention() const;
  AttentionLayout first_token_attention() const;
  void attend(int l, const AttentionLayout& at, const StepOptions& opts);
  void attend_backward(int l, const AttentionLayout& at, const StepOptions& opts);
  void bind_weights(const ModelParams& params);
  void bind_int8_weights(const ModelParams& params);
  void embed_forward(const ModelParams& params, const StepOptions& opts);
  void embed_backward(const ModelParams& params, ModelParams& grads, const PackedTokens& tokens,
                      const StepOptions& opts);
  void layer_forward(int l, const float* x, float* y, const StepOptions& opts);
  void cls_layer_forward(int l, const float* x, float* y, const StepOptions& opts);
  void after_attention_forward(int l, const float* residual, float* y, int64_t rows, const StepOptions& opts);
  Operand activate(const float* inter_pre, int64_t rows);
  void layer_backward(int l, const ModelParams& params, LayerParams& grads, const StepOptions& opts);
  void cls_layer_backward(int l, const ModelParams& params, LayerParams& grads, const StepOptions& opts);
  void after_attention_backward(int l, const ModelParams& params, LayerParams& grads, const float* d_out,
                                float* d_residual, int64_t rows, const StepOptions& opts);

  ModelConfig config_;
  Activation activation_;
  Precision precision_;
  bool bf16_attention_;  // attention's products on bf16 operands
  EncoderOutput output_;
  EncoderMode mode_;
  size_t max_tokens_;
  int max_batch_;
  std::unique_ptr<Workspace> ws_;
  std::vector<uint8_t> seen_;     // [vocab_size]: row already in touched_
  std::vector<int32_t> touched_;  // capacity vocab_size
};

}  // namespace bertft
