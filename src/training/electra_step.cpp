#include "training/electra_step.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "common/arena.h"
#include "common/error.h"
#include "common/profile.h"
#include "kernels/token_logit.h"
#include "model/dense.h"

namespace bertft {

ModelConfig generator_config(const ModelConfig& discriminator, double size) {
  ModelConfig g = discriminator;
  auto scaled = [size](int n) { return std::max(1, static_cast<int>(std::lround(n * size))); };
  g.embedding_size = discriminator.embedding_width();
  g.hidden_size = scaled(discriminator.hidden_size);
  g.num_attention_heads = scaled(discriminator.num_attention_heads);
  g.intermediate_size = scaled(discriminator.intermediate_size);
  char given[32];
  std::snprintf(given, sizeof given, "%g", size);
  if (g.hidden_size % g.num_attention_heads != 0)
    throw Error("--generator-size " + std::string(given) + " makes a generator of hidden_size " +
                std::to_string(g.hidden_size) + " and " + std::to_string(g.num_attention_heads) +
                " attention heads, which do not divide it");
  return g;
}

// The replaced-token head's buffers for T = max_tokens rows.
struct ElectraStep::Workspace {
  std::unique_ptr<float[]> storage;
  float* pre;      // [T, H] dense output, before the activation
  float* act;      // [T, H] activation output: dense_prediction's input
  float* logits;   // [T]
  float* dlogits;  // [T]
  float* d_act;    // [T, H]
  // bf16 mode only: the dense layer's operands and a rounded gradient.
  bf16* hidden_b;  // [T, H]
  bf16* dense_w_b; // [H, H]
  bf16* grad_b;    // [T, H]
};

ElectraStep::ElectraStep(const ModelConfig& discriminator, const ModelConfig& generator, size_t max_tokens,
                         int max_batch, size_t max_masked, Precision precision, float discriminator_weight)
    : generator_(generator, max_tokens, max_batch, max_masked, precision),
      discriminator_(discriminator, max_tokens, max_batch, precision, EncoderOutput::kAllRows),
      activation_(activation_from_name(discriminator.hidden_act)),
      discriminator_weight_(discriminator_weight),
      ws_(std::make_unique<Workspace>()) {
  const int64_t H = discriminator.hidden_size, T = static_cast<int64_t>(max_tokens);
  const bool bf16_mode = precision == Precision::Bf16;
  Workspace& ws = *ws_;
  ws.storage = allocate_arena(
      [&](FloatArena& a) {
        ws.pre = a.take(T * H);
        ws.act = a.take(T * H);
        ws.logits = a.take(T);
        ws.dlogits = a.take(T);
        ws.d_act = a.take(T * H);
        ws.hidden_b = ws.dense_w_b = ws.grad_b = nullptr;
        if (bf16_mode) {
          ws.hidden_b = a.take_bf16(T * H);
          ws.dense_w_b = a.take_bf16(H * H);
          ws.grad_b = a.take_bf16(T * H);
        }
      },
      [&](size_t bytes) {
        return "cannot allocate " + std::to_string(bytes >> 20) + " MiB for the replaced-token detection head";
      });
}

ElectraStep::~ElectraStep() = default;

std::span<const float> ElectraStep::discriminator_logits() const {
  return {ws_->logits, static_cast<size_t>(corrupted_.num_tokens())};
}

ElectraResult ElectraStep::forward_backward(const ModelParams& params, ModelParams& grads, const Batch& batch,
                                            const MaskedTokens& masked, const StepOptions& opts,
                                            float discriminator_grad_scale) {
  if (!grads.generator() || !grads.disc_dense_w || grads.size() != params.size())
    throw std::logic_error("ElectraStep: gradients of another model");
  return run(params, &grads, batch, masked, opts, discriminator_grad_scale);
}

ElectraResult ElectraStep::forward(const ModelParams& params, const Batch& batch, const MaskedTokens& masked,
                                   const StepOptions& opts) {
  return run(params, nullptr, batch, masked, opts, 0.0f);
}

ElectraResult ElectraStep::run(const ModelParams& params, ModelParams* grads, const Batch& batch,
                               const MaskedTokens& masked, const StepOptions& opts, float discriminator_grad_scale) {
  if (!params.generator() || !params.disc_dense_w)
    throw std::logic_error("ElectraStep needs a joint discriminator and generator");
  discriminator_.check_params(params);
  if (masked.draws.size() != masked.positions.size())
    throw Error("masked tokens: ELECTRA's generator needs a draw per masked token");

  // The generator: its masked-LM loss, and a sample at each masked position. Its dropout masks are
  // its own, not the discriminator's.
  StepOptions generator_opts = opts;
  generator_opts.dropout_seed = opts.dropout_seed ^ 0x6E4E7A7A6E4ULL;
  const MaskedLMResult generated =
      grads ? generator_.forward_backward(*params.generator(), *grads->generator(), batch, masked, generator_opts)
            : generator_.forward(*params.generator(), batch, masked, generator_opts);
  ElectraResult result;
  result.generator_loss = generated.loss;
  result.generator_correct = generated.correct;

  // The discriminator's input: the samples in place of the masked tokens.
  corrupted_ = batch;
  replaced_.assign(batch.ids.size(), 0);
  const std::vector<int32_t>& sampled = generator_.sampled();
  for (size_t m = 0; m < masked.positions.size(); m++) {
    const int32_t p = masked.positions[m];
    corrupted_.ids[p] = sampled[m];
    replaced_[p] = sampled[m] != masked.targets[m];
    result.replaced += replaced_[p];
  }
  const PackedTokens tokens = corrupted_.tokens();
  discriminator_.check_tokens(tokens);
  const float* hidden = discriminator_.forward(params, tokens, opts);
  discriminator_head(params, grads, hidden, discriminator_grad_scale, result);
  result.loss = result.generator_loss + discriminator_weight_ * result.discriminator_loss;
  if (!grads) return result;
  if (opts.on_grads_final) opts.on_grads_final(grads->disc_dense_w);  // the discriminator's last tensors
  discriminator_.backward(params, *grads, tokens, opts);
  return result;
}

void ElectraStep::discriminator_head(const ModelParams& params, ModelParams* grads, const float* hidden,
                                     float grad_scale, ElectraResult& result) {
  OpScope scope(Op::Head);
  Workspace& ws = *ws_;
  const int64_t H = discriminator_.config().hidden_size, T = corrupted_.num_tokens();
  const bool bf16_mode = discriminator_.precision() == Precision::Bf16;
  const Dense dense(params.disc_dense_w, params.disc_dense_b, H, H, bf16_mode ? ws.dense_w_b : nullptr);
  dense.refresh_bf16();
  dense.forward(ws.pre, {hidden, ws.hidden_b}, T);
  activation_forward(activation_, ws.act, ws.pre, T * H);
  token_logit_forward(ws.logits, ws.act, params.disc_out_w, params.disc_out_b, T, H);
  const BinaryLoss loss =
      binary_crossentropy_forward_backward(ws.dlogits, ws.logits, replaced_.data(), T, grads ? grad_scale : 0.0f);
  result.discriminator_loss = static_cast<float>(loss.loss_sum / static_cast<double>(T));
  result.discriminator_correct = loss.correct;
  if (!grads) return;
  token_logit_backward(ws.d_act, grads->disc_out_w, grads->disc_out_b, ws.dlogits, ws.act, params.disc_out_w, T, H);
  activation_backward(activation_, ws.d_act, ws.d_act, ws.pre, T * H);
  dense.backward(discriminator_.output_grad(), 0.0f, grads->disc_dense_w, grads->disc_dense_b, ws.d_act,
                 {hidden, ws.hidden_b}, T, ws.grad_b);
}

void ElectraStep::zero_grads(ModelParams& grads) {
  std::fill(grads.data(), grads.data() + grads.size(), 0.0f);
  generator_.zero_grads(*grads.generator());
  discriminator_.forget_touched_rows();
}

}  // namespace bertft
