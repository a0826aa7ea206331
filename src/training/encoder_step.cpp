#include "training/encoder_step.h"

#include <omp.h>

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

#include "common/arena.h"
#include "common/error.h"
#include "common/profile.h"
#include "kernels/attention.h"
#include "kernels/bf16.h"
#include "kernels/dropout.h"
#include "kernels/embeddings.h"
#include "kernels/layernorm.h"
#include "kernels/linear.h"

namespace bertft {

namespace {

// Dropout streams: one per site and layer, so no two sites share a mask.
enum Site : uint64_t { kAttentionProbs = 0, kAttentionOutput = 1, kFfnOutput = 2 };
uint64_t layer_stream(int layer, Site site) { return static_cast<uint64_t>(layer) * 8 + site; }
constexpr uint64_t kEmbeddingStream = 1ULL << 32;

}  // namespace

void round_bf16(bf16* dst, const float* src, int64_t n) {
  OpScope scope(Op::Convert);
  to_bf16(dst, src, n);
}

// Everything the backward pass needs, in one allocation: T = max_tokens, B = max_batch. Full layers
// keep T rows; with EncoderOutput::kClsRows the last layer keeps T rows of keys and values and B rows
// ([CLS]) of everything else. In bf16 mode the products' operands are kept in bf16 and the fp32
// buffers marked (transient) are shared by all layers, since only the forward pass reads them.
struct EncoderStep::Workspace {
  std::unique_ptr<float[]> storage;
  struct Layer {
    float* qkv;        // [T, 3H] fused projections (last [CLS]-only layer: keys and values [T, 2H], then [CLS] queries [B, H]) (transient)
    float* context;    // [T, H]  attention output (input of the attention output dense) (transient)
    float* attn_sum;   // [T, H]  dropout(dense(context)) + input: the first LayerNorm's input
    float* attn_mean;  // [T]
    float* attn_rstd;  // [T]
    float* attn_norm;  // [T, H]  first LayerNorm output: FFN input and second residual (transient)
    float* inter_pre;  // [T, I]  intermediate dense output, before the activation
    float* out_sum;    // [T, H]  dropout(dense(act)) + attn_norm: the second LayerNorm's input
    float* out_mean;   // [T]
    float* out_rstd;   // [T]
    // bf16 mode only: the products' operands.
    bf16* input_b;      // [T, H] the layer input
    bf16* qkv_b;        // like qkv
    bf16* context_b;    // [T, H]
    bf16* attn_norm_b;  // [T, H]
  };
  std::vector<Layer> layers;
  std::vector<float*> hidden;  // L + 1 of [T, H]: hidden[l] is layer l's input, hidden[L] the output (transient)
  float* emb_sum;              // [T, H] embeddings LayerNorm input
  float* emb_mean;             // [T]
  float* emb_rstd;             // [T]
  // Scratch shared by the forward and backward of each layer.
  float* tmp;        // [T, H]
  float* act;        // [T, I] activation output (recomputed in the backward pass)
  float* d_hidden;   // [T, H]
  float* d_norm;     // [T, H]
  float* d_tmp;      // [T, H]
  float* d_inter;    // [T, I]
  float* d_qkv;      // [T, 3H]
  float* d_context;  // [T, H]
  bf16* act_b;       // [T, I]
  bf16* grad_b;      // [T, max(3H, I)]: a gradient rounded for the products of a backward pass
  // kClsRows: the last layer's [CLS] rows, B rows.
  float* cls_in;    // [B, H] last layer input at the [CLS] rows
  bf16* cls_in_b;   // [B, H]
  float* d_cls_in;  // [B, H]
  float* d_cls_q;   // [B, H]
  float* cls;       // [B, H] last layer output at the [CLS] rows: the encoder's output
  float* dcls;      // [B, H]
  float* attention_scratch;
  int threads = 1;
  std::vector<int32_t> positions;  // [T]
  std::vector<int> cls_offsets;    // 0, 1, ..., B: one [CLS] query per sequence in the last layer
  std::unique_ptr<EncoderWeightsBf16> weights_b;
};

EncoderStep::EncoderStep(const ModelConfig& config, size_t max_tokens, int max_batch, Precision precision,
                         EncoderOutput output)
    : config_(config),
      activation_(activation_from_name(config.hidden_act)),
      precision_(precision),
      output_(output),
      max_tokens_(max_tokens),
      max_batch_(max_batch),
      ws_(std::make_unique<Workspace>()) {
  if (config.position_embedding_type != "absolute")
    throw Error("config.json: field 'position_embedding_type': '" + config.position_embedding_type +
                "' is not supported (only 'absolute')");
  if (max_batch < 1) throw Error("batch size must be at least 1");
  if (max_tokens < 1 || max_tokens > static_cast<size_t>(std::numeric_limits<int32_t>::max()))
    throw Error("maximum tokens per batch " + std::to_string(max_tokens) + " is out of range");
  const int64_t H = config.hidden_size, I = config.intermediate_size, L = config.num_hidden_layers;
  const int64_t T = static_cast<int64_t>(max_tokens), B = max_batch;
  const int max_len = static_cast<int>(std::min<int64_t>(T, config.max_position_embeddings));
  const bool bf16_mode = precision == Precision::Bf16;
  Workspace& ws = *ws_;
  ws.threads = omp_get_max_threads();
  const int64_t scratch = attention_train_scratch_per_thread(max_len) * ws.threads;
  ws.layers.resize(L);
  ws.hidden.resize(L + 1);
  ws.storage = allocate_arena(
      [&](FloatArena& a) {
        float *shared_qkv = nullptr, *shared_context = nullptr, *shared_attn_norm = nullptr;
        if (bf16_mode) {
          shared_qkv = a.take(T * 3 * H);
          shared_context = a.take(T * H);
          shared_attn_norm = a.take(T * H);
        }
        for (auto& layer : ws.layers) {
          layer.qkv = bf16_mode ? shared_qkv : a.take(T * 3 * H);
          layer.context = bf16_mode ? shared_context : a.take(T * H);
          layer.attn_sum = a.take(T * H);
          layer.attn_mean = a.take(T);
          layer.attn_rstd = a.take(T);
          layer.attn_norm = bf16_mode ? shared_attn_norm : a.take(T * H);
          layer.inter_pre = a.take(T * I);
          layer.out_sum = a.take(T * H);
          layer.out_mean = a.take(T);
          layer.out_rstd = a.take(T);
          layer.input_b = layer.qkv_b = layer.context_b = layer.attn_norm_b = nullptr;
          if (bf16_mode) {
            layer.input_b = a.take_bf16(T * H);
            layer.qkv_b = a.take_bf16(T * 3 * H);
            layer.context_b = a.take_bf16(T * H);
            layer.attn_norm_b = a.take_bf16(T * H);
          }
        }
        if (bf16_mode) {
          // Two buffers, alternating: layer l reads hidden[l] and writes hidden[l + 1].
          float* even = a.take(T * H);
          float* odd = a.take(T * H);
          for (size_t l = 0; l < ws.hidden.size(); l++) ws.hidden[l] = l % 2 ? odd : even;
        } else {
          for (auto& h : ws.hidden) h = a.take(T * H);
        }
        ws.emb_sum = a.take(T * H);
        ws.emb_mean = a.take(T);
        ws.emb_rstd = a.take(T);
        ws.tmp = a.take(T * H);
        ws.act = a.take(T * I);
        ws.d_hidden = a.take(T * H);
        ws.d_norm = a.take(T * H);
        ws.d_tmp = a.take(T * H);
        ws.d_inter = a.take(T * I);
        ws.d_qkv = a.take(T * 3 * H);
        ws.d_context = a.take(T * H);
        ws.act_b = ws.grad_b = ws.cls_in_b = nullptr;
        if (bf16_mode) {
          ws.act_b = a.take_bf16(T * I);
          ws.grad_b = a.take_bf16(T * std::max(3 * H, I));
          ws.cls_in_b = a.take_bf16(B * H);
        }
        ws.cls_in = a.take(B * H);
        ws.d_cls_in = a.take(B * H);
        ws.d_cls_q = a.take(B * H);
        ws.cls = a.take(B * H);
        ws.dcls = a.take(B * H);
        ws.attention_scratch = a.take(scratch);
      },
      [&](size_t bytes) {
        return "cannot allocate " + std::to_string(bytes >> 20) + " MiB of training activations for " +
               std::to_string(max_tokens) + " tokens per batch (try a smaller batch size or maximum length)";
      });
  ws.positions.resize(T);
  ws.cls_offsets.resize(B + 1);
  for (int b = 0; b <= B; b++) ws.cls_offsets[b] = b;
  if (bf16_mode) ws.weights_b = std::make_unique<EncoderWeightsBf16>(config);
  seen_.assign(config.vocab_size, 0);
  touched_.reserve(config.vocab_size);
}

EncoderStep::~EncoderStep() = default;

float* EncoderStep::output_grad() { return output_ == EncoderOutput::kClsRows ? ws_->dcls : ws_->d_hidden; }

void EncoderStep::check_batch(const ModelParams& params, const ModelParams& grads, const Batch& batch) const {
  const ModelConfig& c = config_;
  if (grads.size() != params.size() || grads.layers.size() != params.layers.size())
    throw std::logic_error("EncoderStep: gradients must have the parameters' config and heads");
  auto has_shape = [&](const char* name, std::vector<int64_t> shape) {
    const TensorSpec* spec = params.find(name);
    return spec && spec->shape == shape;
  };
  if (static_cast<int>(params.layers.size()) != c.num_hidden_layers ||
      !has_shape("bert.embeddings.word_embeddings.weight", {c.vocab_size, c.hidden_size}) ||
      !has_shape("bert.embeddings.position_embeddings.weight", {c.max_position_embeddings, c.hidden_size}) ||
      !has_shape("bert.embeddings.token_type_embeddings.weight", {c.type_vocab_size, c.hidden_size}) ||
      (c.num_hidden_layers > 0 &&
       !has_shape("bert.encoder.layer.0.intermediate.dense.weight", {c.intermediate_size, c.hidden_size})))
    throw std::logic_error("EncoderStep: parameters do not match the config");
  if (omp_get_max_threads() > ws_->threads)
    throw std::logic_error("more OpenMP threads than the training workspace was sized for");
  const int B = batch.num_seqs();
  const int64_t T = batch.num_tokens();
  if (B < 1) throw Error("training batch has no sequences");
  if (B > max_batch_)
    throw Error("training batch has " + std::to_string(B) + " sequences, more than " + std::to_string(max_batch_));
  if (T > static_cast<int64_t>(max_tokens_))
    throw Error("training batch has " + std::to_string(T) + " tokens, more than " + std::to_string(max_tokens_));
  if (batch.type_ids.size() != batch.ids.size()) throw Error("training batch: ids and type_ids differ in length");
  if (batch.offsets.size() != static_cast<size_t>(B) + 1 || batch.offsets[0] != 0 || batch.offsets[B] != T)
    throw Error("training batch: offsets do not partition the tokens");
  for (int b = 0; b < B; b++) {
    const int len = batch.offsets[b + 1] - batch.offsets[b];
    if (len < 1 || len > c.max_position_embeddings)
      throw Error("training batch: sequence " + std::to_string(b) + " has " + std::to_string(len) +
                  " tokens (allowed 1.." + std::to_string(c.max_position_embeddings) + ")");
  }
  if (!batch.lengths.empty()) {
    if (batch.lengths.size() != static_cast<size_t>(B)) throw Error("training batch: lengths do not match the sequences");
    for (int b = 0; b < B; b++)
      if (batch.lengths[b] < 1 || batch.lengths[b] > batch.offsets[b + 1] - batch.offsets[b])
        throw Error("training batch: sequence " + std::to_string(b) + " has " + std::to_string(batch.lengths[b]) +
                    " real tokens, outside 1.." + std::to_string(batch.offsets[b + 1] - batch.offsets[b]));
  }
  for (int64_t t = 0; t < T; t++) {
    if (batch.ids[t] < 0 || batch.ids[t] >= c.vocab_size)
      throw Error("training batch: token id " + std::to_string(batch.ids[t]) + " is outside the vocab_size " +
                  std::to_string(c.vocab_size));
    if (batch.type_ids[t] < 0 || batch.type_ids[t] >= c.type_vocab_size)
      throw Error("training batch: token type id " + std::to_string(batch.type_ids[t]) +
                  " is outside the type_vocab_size " + std::to_string(c.type_vocab_size));
  }
}

// The step's two passes share these: the precision dispatch of the dense layers and of rounding, the
// activation (recomputed in the backward pass) and in-place dropout.
namespace {

struct Kit {
  bool bf16_mode;
  Activation activation;
  uint64_t seed;
  bf16* grad_b;
  float* act;
  bf16* act_b;

  // A dense layer over `rows` rows. In bf16 mode `in_b` already holds the input rounded to bf16 (so
  // the backward pass finds it); in fp32 mode it is unused.
  void dense_forward(float* out, const float* in, const bf16* in_b, const float* w, const bf16* w_b,
                     const float* bias, int64_t rows, int64_t N, int64_t K) const {
    OpScope scope(Op::Linear);
    if (bf16_mode)
      linear_forward(out, in_b, w_b, bias, rows, N, K);
    else
      linear_forward(out, in, w, bias, rows, N, K);
  }
  void dense_backward(float* din, float* dw, float* db, const float* dout, const float* in, const bf16* in_b,
                      const float* w, const bf16* w_b, int64_t rows, int64_t N, int64_t K, float din_beta) const {
    OpScope scope(Op::Linear);
    if (bf16_mode)
      linear_backward(din, dw, db, dout, grad_b, in_b, w_b, rows, N, K, din_beta);
    else
      linear_backward(din, dw, db, dout, in, w, rows, N, K, din_beta);
  }
  void round(bf16* dst, const float* src, int64_t n) const {
    if (bf16_mode) round_bf16(dst, src, n);
  }
  // The activation's output: `act`, or straight to `act_b`.
  void activate(const float* in, int64_t n) const {
    OpScope scope(Op::Activation);
    if (bf16_mode)
      activation_forward(activation, act_b, in, n);
    else
      activation_forward(activation, act, in, n);
  }
  void dropout(float* x, int64_t n, float p, uint64_t stream, bool backward) const {
    OpScope scope(Op::Dropout);
    if (backward)
      dropout_backward(x, x, n, p, seed, stream);
    else
      dropout_forward(x, x, n, p, seed, stream);
  }
};

}  // namespace

const float* EncoderStep::forward(const ModelParams& params, const Batch& batch, const StepOptions& opts) {
  const ModelConfig& c = config_;
  Workspace& ws = *ws_;
  const int B = batch.num_seqs();
  const int64_t T = batch.num_tokens();
  const int64_t H = c.hidden_size;
  const int64_t I = c.intermediate_size;
  const int L = c.num_hidden_layers;
  const float eps = c.layer_norm_eps;
  const bool bf16_mode = precision_ == Precision::Bf16;
  const bool cls_rows = output_ == EncoderOutput::kClsRows;
  const Kit k{bf16_mode, activation_, opts.dropout_seed, ws.grad_b, ws.act, ws.act_b};
  const int* offsets = batch.offsets.data();
  const int* kv_lengths = batch.lengths.empty() ? nullptr : batch.lengths.data();
  for (int b = 0; b < B; b++)
    for (int32_t t = offsets[b]; t < offsets[b + 1]; t++) ws.positions[t] = t - offsets[b];
  if (bf16_mode) {
    OpScope scope(Op::Convert);
    ws.weights_b->update(params);
  }
  {
    OpScope scope(Op::Embeddings);
    embeddings_forward_train(ws.hidden[0], ws.emb_sum, ws.emb_mean, ws.emb_rstd, batch.ids.data(),
                             batch.type_ids.data(), ws.positions.data(), T, H, params.word_emb,
                             params.type_emb, params.pos_emb, params.emb_ln_w, params.emb_ln_b, eps);
  }
  k.dropout(ws.hidden[0], T * H, opts.hidden_dropout, kEmbeddingStream, false);
  for (int l = 0; l < L; l++) {
    const LayerParams& W = params.layers[l];
    const LayerWeightsBf16* Wb = bf16_mode ? &ws.weights_b->layer(l) : nullptr;
    Workspace::Layer& A = ws.layers[l];
    const float* x = ws.hidden[l];
    const bool cls_only = cls_rows && l == L - 1;
    const int64_t R = cls_only ? B : T;
    k.round(A.input_b, x, T * H);
    AttentionShape shape{B, c.num_attention_heads, static_cast<int>(c.head_size()), 3 * H, 3 * H, offsets, offsets,
                         kv_lengths};
    const float* residual = x;
    const bf16* q_b = A.qkv_b;
    if (!cls_only) {
      k.dense_forward(A.qkv, x, A.input_b, W.qkv_w, Wb ? Wb->qkv_w : nullptr, W.qkv_b, T, 3 * H, H);
      k.round(A.qkv_b, A.qkv, T * 3 * H);
    } else {
      for (int b = 0; b < B; b++) std::copy_n(x + static_cast<int64_t>(offsets[b]) * H, H, ws.cls_in + b * H);
      k.round(ws.cls_in_b, ws.cls_in, B * H);
      k.dense_forward(A.qkv, x, A.input_b, W.qkv_w + H * H, Wb ? Wb->qkv_w + H * H : nullptr, W.qkv_b + H, T,
                      2 * H, H);
      k.dense_forward(A.qkv + T * 2 * H, ws.cls_in, ws.cls_in_b, W.qkv_w, Wb ? Wb->qkv_w : nullptr, W.qkv_b, B, H, H);
      k.round(A.qkv_b, A.qkv, T * 2 * H + B * H);
      shape = AttentionShape{B, c.num_attention_heads, static_cast<int>(c.head_size()), H, 2 * H,
                             ws.cls_offsets.data(), offsets, kv_lengths};
      residual = ws.cls_in;
      q_b = bf16_mode ? A.qkv_b + T * 2 * H : nullptr;
    }
    const float* q = cls_only ? A.qkv + T * 2 * H : A.qkv;
    const float* kv = cls_only ? A.qkv : A.qkv + H;
    const bf16* kv_b = bf16_mode ? (cls_only ? A.qkv_b : A.qkv_b + H) : nullptr;
    {
      OpScope scope(Op::Attention);
      if (bf16_mode)
        attention_forward_train(A.context, q_b, kv_b, kv_b + H, shape, opts.attention_dropout, opts.dropout_seed,
                                layer_stream(l, kAttentionProbs), ws.attention_scratch);
      else
        attention_forward_train(A.context, q, kv, kv + H, shape, opts.attention_dropout, opts.dropout_seed,
                                layer_stream(l, kAttentionProbs), ws.attention_scratch);
    }
    k.round(A.context_b, A.context, R * H);
    k.dense_forward(ws.tmp, A.context, A.context_b, W.attn_out_w, Wb ? Wb->attn_out_w : nullptr, W.attn_out_b, R, H,
                    H);
    k.dropout(ws.tmp, R * H, opts.hidden_dropout, layer_stream(l, kAttentionOutput), false);
    {
      OpScope scope(Op::LayerNorm);
      residual_layernorm_forward_train(A.attn_norm, A.attn_sum, A.attn_mean, A.attn_rstd, ws.tmp, residual,
                                       W.attn_ln_w, W.attn_ln_b, R, H, eps);
    }
    k.round(A.attn_norm_b, A.attn_norm, R * H);
    k.dense_forward(A.inter_pre, A.attn_norm, A.attn_norm_b, W.inter_w, Wb ? Wb->inter_w : nullptr, W.inter_b, R, I,
                    H);
    k.activate(A.inter_pre, R * I);
    k.dense_forward(ws.tmp, ws.act, ws.act_b, W.out_w, Wb ? Wb->out_w : nullptr, W.out_b, R, H, I);
    k.dropout(ws.tmp, R * H, opts.hidden_dropout, layer_stream(l, kFfnOutput), false);
    OpScope scope(Op::LayerNorm);
    residual_layernorm_forward_train(cls_only ? ws.cls : ws.hidden[l + 1], A.out_sum, A.out_mean, A.out_rstd, ws.tmp,
                                     A.attn_norm, W.out_ln_w, W.out_ln_b, R, H, eps);
  }
  if (!cls_rows) return ws.hidden[L];
  if (L == 0)
    for (int b = 0; b < B; b++) std::copy_n(ws.hidden[0] + static_cast<int64_t>(offsets[b]) * H, H, ws.cls + b * H);
  return ws.cls;
}

void EncoderStep::backward(const ModelParams& params, ModelParams& grads, const Batch& batch, const StepOptions& opts) {
  const ModelConfig& c = config_;
  Workspace& ws = *ws_;
  const int B = batch.num_seqs();
  const int64_t T = batch.num_tokens();
  const int64_t H = c.hidden_size, I = c.intermediate_size;
  const int L = c.num_hidden_layers;
  const bool bf16_mode = precision_ == Precision::Bf16;
  const bool cls_rows = output_ == EncoderOutput::kClsRows;
  const Kit k{bf16_mode, activation_, opts.dropout_seed, ws.grad_b, ws.act, ws.act_b};
  const uint64_t seed = opts.dropout_seed;
  const int* offsets = batch.offsets.data();
  const int* kv_lengths = batch.lengths.empty() ? nullptr : batch.lengths.data();

  if (cls_rows && L == 0) {
    std::fill(ws.d_hidden, ws.d_hidden + T * H, 0.0f);
    for (int b = 0; b < B; b++) std::copy_n(ws.dcls + b * H, H, ws.d_hidden + static_cast<int64_t>(offsets[b]) * H);
  }
  for (int l = L - 1; l >= 0; l--) {
    const LayerParams& W = params.layers[l];
    const LayerWeightsBf16* Wb = bf16_mode ? &ws.weights_b->layer(l) : nullptr;
    LayerParams& G = grads.layers[l];
    Workspace::Layer& A = ws.layers[l];
    const bool cls_only = cls_rows && l == L - 1;
    const int64_t R = cls_only ? B : T;
    // Second Add & Norm: d_out is dLoss/d(layer output), its [CLS] rows for a [CLS]-only layer.
    float* d_out = cls_only ? ws.dcls : ws.d_hidden;
    {
      OpScope scope(Op::LayerNorm);
      residual_layernorm_backward(ws.d_tmp, ws.d_norm, G.out_ln_w, G.out_ln_b, d_out, A.out_sum, W.out_ln_w,
                                  A.out_mean, A.out_rstd, R, H);
    }
    k.dropout(ws.d_tmp, R * H, opts.hidden_dropout, layer_stream(l, kFfnOutput), true);
    // Feed-forward.
    k.activate(A.inter_pre, R * I);
    k.dense_backward(ws.d_inter, G.out_w, G.out_b, ws.d_tmp, ws.act, ws.act_b, W.out_w, Wb ? Wb->out_w : nullptr, R,
                     H, I, 0.0f);
    {
      OpScope scope(Op::Activation);
      activation_backward(activation_, ws.d_inter, ws.d_inter, A.inter_pre, R * I);
    }
    k.dense_backward(ws.d_norm, G.inter_w, G.inter_b, ws.d_inter, A.attn_norm, A.attn_norm_b, W.inter_w,
                     Wb ? Wb->inter_w : nullptr, R, I, H, 1.0f);
    // First Add & Norm: the residual's gradient goes straight to the layer input.
    float* d_residual = cls_only ? ws.d_cls_in : ws.d_hidden;
    {
      OpScope scope(Op::LayerNorm);
      residual_layernorm_backward(ws.d_tmp, d_residual, G.attn_ln_w, G.attn_ln_b, ws.d_norm, A.attn_sum,
                                  W.attn_ln_w, A.attn_mean, A.attn_rstd, R, H);
    }
    k.dropout(ws.d_tmp, R * H, opts.hidden_dropout, layer_stream(l, kAttentionOutput), true);
    // Attention.
    k.dense_backward(ws.d_context, G.attn_out_w, G.attn_out_b, ws.d_tmp, A.context, A.context_b, W.attn_out_w,
                     Wb ? Wb->attn_out_w : nullptr, R, H, H, 0.0f);
    AttentionShape shape{B, c.num_attention_heads, static_cast<int>(c.head_size()), 3 * H, 3 * H, offsets, offsets,
                         kv_lengths};
    float* dq = ws.d_qkv;
    float* dkv = ws.d_qkv + H;
    if (cls_only) {
      shape = AttentionShape{B, c.num_attention_heads, static_cast<int>(c.head_size()), H, 2 * H,
                             ws.cls_offsets.data(), offsets, kv_lengths};
      dq = ws.d_qkv + T * 2 * H;
      dkv = ws.d_qkv;
    }
    const float* q = cls_only ? A.qkv + T * 2 * H : A.qkv;
    const float* kv = cls_only ? A.qkv : A.qkv + H;
    if (bf16_mode) {
      round_bf16(ws.grad_b, ws.d_context, R * H);
      const bf16* q_b = cls_only ? A.qkv_b + T * 2 * H : A.qkv_b;
      const bf16* kv_b = cls_only ? A.qkv_b : A.qkv_b + H;
      OpScope scope(Op::Attention);
      attention_backward(dq, dkv, dkv + H, ws.grad_b, q_b, kv_b, kv_b + H, shape, opts.attention_dropout, seed,
                         layer_stream(l, kAttentionProbs), ws.attention_scratch);
    } else {
      OpScope scope(Op::Attention);
      attention_backward(dq, dkv, dkv + H, ws.d_context, q, kv, kv + H, shape, opts.attention_dropout, seed,
                         layer_stream(l, kAttentionProbs), ws.attention_scratch);
    }
    const float* x = ws.hidden[l];  // fp32 mode only: bf16 mode reads A.input_b
    if (!cls_only) {
      k.dense_backward(ws.d_hidden, G.qkv_w, G.qkv_b, ws.d_qkv, x, A.input_b, W.qkv_w, Wb ? Wb->qkv_w : nullptr, T,
                       3 * H, H, 1.0f);
    } else {
      // [CLS]-only layer: keys and values from every row, queries from the [CLS] rows, plus the residual.
      k.dense_backward(ws.d_hidden, G.qkv_w + H * H, G.qkv_b + H, dkv, x, A.input_b, W.qkv_w + H * H,
                       Wb ? Wb->qkv_w + H * H : nullptr, T, 2 * H, H, 0.0f);
      k.dense_backward(ws.d_cls_q, G.qkv_w, G.qkv_b, dq, ws.cls_in, ws.cls_in_b, W.qkv_w, Wb ? Wb->qkv_w : nullptr,
                       B, H, H, 0.0f);
      for (int b = 0; b < B; b++) {
        float* row = ws.d_hidden + static_cast<int64_t>(offsets[b]) * H;
        for (int64_t i = 0; i < H; i++) row[i] += ws.d_cls_q[b * H + i] + ws.d_cls_in[b * H + i];
      }
    }
    if (opts.on_grads_final) opts.on_grads_final(G.qkv_w);  // the layer's first tensor
  }
  k.dropout(ws.d_hidden, T * H, opts.hidden_dropout, kEmbeddingStream, true);
  OpScope scope(Op::Embeddings);
  embedding_touched_rows(batch.ids.data(), T, c.pad_token_id, seen_.data(), touched_);
  embeddings_backward(grads.word_emb, grads.type_emb, grads.pos_emb, grads.emb_ln_w, grads.emb_ln_b, ws.d_hidden,
                      ws.emb_sum, ws.emb_mean, ws.emb_rstd, batch.ids.data(), batch.type_ids.data(),
                      ws.positions.data(), T, H, params.emb_ln_w, c.pad_token_id);
  if (opts.on_grads_final) opts.on_grads_final(grads.data());
}

void EncoderStep::zero_grads(ModelParams& grads) {
  const int64_t H = config_.hidden_size;
  for (const TensorSpec& spec : grads.specs()) {
    float* data = grads.tensor(spec);
    if (data != grads.word_emb) {
      std::fill(data, data + spec.numel, 0.0f);
      continue;
    }
    for (int32_t row : touched_) std::fill(data + row * H, data + (row + 1) * H, 0.0f);
  }
  forget_touched_rows();
}

void EncoderStep::add_touched_rows(std::span<const int32_t> rows) {
  embedding_touched_rows(rows.data(), static_cast<int64_t>(rows.size()), config_.pad_token_id, seen_.data(), touched_);
}

void EncoderStep::forget_touched_rows() {
  for (int32_t row : touched_) seen_[row] = 0;
  touched_.clear();
}

}  // namespace bertft
