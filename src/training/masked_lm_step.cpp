#include "training/masked_lm_step.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "common/arena.h"
#include "common/error.h"
#include "common/profile.h"
#include "kernels/layernorm.h"
#include "kernels/vocab_crossentropy.h"

namespace bertft {

// The head's buffers for M = max_masked rows (V = vocab_size).
struct MaskedLMStep::Workspace {
  std::unique_ptr<float[]> storage;
  float* gathered;   // [M, H] encoder output at the masked positions: the transform's input
  float* transform;  // [M, H] transform dense output, before the activation
  float* act;        // [M, H] activation output: the LayerNorm input
  float* normed;     // [M, H] LayerNorm output: the decoder input
  float* mean;       // [M]
  float* rstd;       // [M]
  float* logits;     // [M, V], overwritten by their gradient
  float* d_normed;   // [M, H]
  float* d_act;      // [M, H]
  float* d_gathered; // [M, H]
  // bf16 mode only: the products' operands and a rounded gradient.
  bf16* gathered_b;  // [M, H]
  bf16* normed_b;    // [M, H]
  bf16* dense_w_b;   // [H, H]
  bf16* word_emb_b;  // [V, H]
  bf16* grad_b;      // [M, max(V, H)]
};

MaskedLMStep::MaskedLMStep(const ModelConfig& config, size_t max_tokens, int max_batch, size_t max_masked,
                           Precision precision)
    : encoder_(config, max_tokens, max_batch, precision, EncoderOutput::kAllRows),
      activation_(config.arch().lm_activation_is_gelu ? Activation::GeluErf : activation_from_name(config.hidden_act)),
      max_masked_(max_masked),
      ws_(std::make_unique<Workspace>()) {
  if (max_masked < 1 || max_masked > max_tokens) throw Error("masked tokens per batch must be in 1..tokens per batch");
  const int64_t H = config.hidden_size, E = config.embedding_width(), V = config.vocab_size;
  const int64_t M = static_cast<int64_t>(max_masked);
  const bool bf16_mode = precision == Precision::Bf16;
  Workspace& ws = *ws_;
  ws.storage = allocate_arena(
      [&](FloatArena& a) {
        ws.gathered = a.take(M * H);
        ws.transform = a.take(M * E);
        ws.act = a.take(M * E);
        ws.normed = a.take(M * E);
        ws.mean = a.take(M);
        ws.rstd = a.take(M);
        ws.logits = a.take(M * V);
        ws.d_normed = a.take(M * E);
        ws.d_act = a.take(M * E);
        ws.d_gathered = a.take(M * H);
        ws.gathered_b = ws.normed_b = ws.dense_w_b = ws.word_emb_b = ws.grad_b = nullptr;
        if (bf16_mode) {
          ws.gathered_b = a.take_bf16(M * H);
          ws.normed_b = a.take_bf16(M * E);
          ws.dense_w_b = a.take_bf16(E * H);
          ws.word_emb_b = a.take_bf16(V * E);
          ws.grad_b = a.take_bf16(M * std::max(V, E));
        }
      },
      [&](size_t bytes) {
        return "cannot allocate " + std::to_string(bytes >> 20) + " MiB for the masked-LM head (" +
               std::to_string(max_masked) + " masked tokens per batch)";
      });
}

MaskedLMStep::~MaskedLMStep() = default;

void MaskedLMStep::check(const ModelParams& params, const ModelParams& grads, const Batch& batch,
                         const MaskedTokens& masked) const {
  const ModelConfig& c = encoder_.config();
  if (!params.mlm_dense_w || !grads.mlm_dense_w)
    throw std::logic_error("MaskedLMStep needs parameters and gradients with the masked-LM head");
  if (grads.size() != params.size()) throw std::logic_error("MaskedLMStep: gradients of another model");
  encoder_.check_params(params);
  encoder_.check_tokens(batch.tokens());
  const size_t M = masked.positions.size();
  if (masked.targets.size() != M) throw Error("masked tokens: positions and targets differ in count");
  if (!masked.draws.empty() && masked.draws.size() != M) throw Error("masked tokens: positions and draws differ in count");
  if (M == 0) throw Error("masked-LM batch has no masked tokens");
  if (M > max_masked_)
    throw Error("masked-LM batch has " + std::to_string(M) + " masked tokens, more than " + std::to_string(max_masked_));
  int64_t previous = -1;
  for (size_t m = 0; m < M; m++) {
    const int32_t p = masked.positions[m];
    if (p <= previous || p >= batch.num_tokens())
      throw Error("masked tokens: position " + std::to_string(p) + " is out of order or outside the batch");
    previous = p;
    if (masked.targets[m] < 0 || masked.targets[m] >= c.vocab_size)
      throw Error("masked tokens: target id " + std::to_string(masked.targets[m]) + " is outside the vocab_size " +
                  std::to_string(c.vocab_size));
  }
}

MaskedLMResult MaskedLMStep::forward_backward(const ModelParams& params, ModelParams& grads, const Batch& batch,
                                              const MaskedTokens& masked, const StepOptions& opts) {
  check(params, grads, batch, masked);
  return run(params, &grads, batch, masked, opts);
}

MaskedLMResult MaskedLMStep::forward(const ModelParams& params, const Batch& batch, const MaskedTokens& masked,
                                     const StepOptions& opts) {
  check(params, params, batch, masked);
  return run(params, nullptr, batch, masked, opts);
}

MaskedLMResult MaskedLMStep::run(const ModelParams& params, ModelParams* grads, const Batch& batch,
                                 const MaskedTokens& masked, const StepOptions& opts) {
  const int64_t H = encoder_.config().hidden_size, T = batch.num_tokens();
  const PackedTokens tokens = batch.tokens();
  const float* hidden = encoder_.forward(params, tokens, opts);
  const MaskedLMResult result = head(params, grads, hidden, masked, opts);
  if (grads && opts.on_grads_final) opts.on_grads_final(grads->mlm_dense_w);  // the head's tensors, last in the layout
  if (!grads || !opts.train_encoder) return result;
  float* d_hidden = encoder_.output_grad();
  std::fill(d_hidden, d_hidden + T * H, 0.0f);
  for (size_t m = 0; m < masked.positions.size(); m++)
    std::copy_n(ws_->d_gathered + m * H, H, d_hidden + static_cast<int64_t>(masked.positions[m]) * H);
  encoder_.backward(params, *grads, tokens, opts);
  return result;
}

MaskedLMResult MaskedLMStep::head(const ModelParams& params, ModelParams* grads, const float* hidden,
                                  const MaskedTokens& masked, const StepOptions& opts) {
  OpScope scope(Op::Head);
  const ModelConfig& c = encoder_.config();
  Workspace& ws = *ws_;
  const int64_t H = c.hidden_size, E = c.embedding_width(), V = c.vocab_size;
  const int64_t M = static_cast<int64_t>(masked.positions.size());
  const bool bf16_mode = encoder_.precision() == Precision::Bf16;
  const Dense transform(params.mlm_dense_w, params.mlm_dense_b, E, H, bf16_mode ? ws.dense_w_b : nullptr);
  const Dense decoder(params.word_emb, params.mlm_bias, V, E, bf16_mode ? ws.word_emb_b : nullptr);
  transform.refresh_bf16();
  decoder.refresh_bf16();
  for (int64_t m = 0; m < M; m++)
    std::copy_n(hidden + static_cast<int64_t>(masked.positions[m]) * H, H, ws.gathered + m * H);
  transform.forward(ws.transform, {ws.gathered, ws.gathered_b}, M);
  activation_forward(activation_, ws.act, ws.transform, M * E);
  layernorm_forward_train(ws.normed, ws.mean, ws.rstd, ws.act, params.mlm_ln_w, params.mlm_ln_b, M, E,
                          c.layer_norm_eps);
  decoder.forward(ws.logits, {ws.normed, ws.normed_b}, M);
  const bool sample = !masked.draws.empty();
  sampled_.resize(sample ? M : 0);
  const VocabLoss loss =
      vocab_crossentropy_forward_backward(ws.logits, masked.targets.data(), M, V, grads ? opts.grad_scale : 0.0f,
                                          sample ? masked.draws.data() : nullptr, sampled_.data());
  const MaskedLMResult result{static_cast<float>(loss.loss_sum / static_cast<double>(M)), loss.correct};
  if (!grads) return result;

  // ws.logits now holds dLoss/dlogits. The decoder's weight is the word-embedding table, so its
  // gradient adds to the encoder's (sparse) embedding gradient, over every row.
  decoder.backward(ws.d_normed, 0.0f, grads->word_emb, grads->mlm_bias, ws.logits, {ws.normed, ws.normed_b}, M,
                   ws.grad_b);
  layernorm_backward(ws.d_act, grads->mlm_ln_w, grads->mlm_ln_b, ws.d_normed, ws.act, params.mlm_ln_w, ws.mean,
                     ws.rstd, M, E);
  activation_backward(activation_, ws.d_act, ws.d_act, ws.transform, M * E);
  transform.backward(opts.train_encoder ? ws.d_gathered : nullptr, 0.0f, grads->mlm_dense_w, grads->mlm_dense_b,
                     ws.d_act, {ws.gathered, ws.gathered_b}, M, ws.grad_b);
  return result;
}

void MaskedLMStep::zero_grads(ModelParams& grads) {
  std::fill(grads.data(), grads.data() + grads.size(), 0.0f);
  encoder_.forget_touched_rows();
}

}  // namespace bertft
