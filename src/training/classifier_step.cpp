#include "training/classifier_step.h"

#include <omp.h>

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

#include "common/arena.h"
#include "common/error.h"
#include "kernels/attention.h"
#include "kernels/classifier_head.h"
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
constexpr uint64_t kPooledStream = (1ULL << 32) + 1;

}  // namespace

// Everything the backward pass needs, in one allocation: T = max_tokens, B = max_batch.
struct ClassifierStep::Workspace {
  std::unique_ptr<float[]> storage;
  struct Layer {
    float* qkv;        // [T, 3H] fused projections
    float* context;    // [T, H]  attention output (input of the attention output dense)
    float* attn_sum;   // [T, H]  dropout(dense(context)) + input: the first LayerNorm's input
    float* attn_mean;  // [T]
    float* attn_rstd;  // [T]
    float* attn_norm;  // [T, H]  first LayerNorm output: FFN input and second residual
    float* inter_pre;  // [T, I]  intermediate dense output, before the activation
    float* out_sum;    // [T, H]  dropout(dense(act)) + attn_norm: the second LayerNorm's input
    float* out_mean;   // [T]
    float* out_rstd;   // [T]
  };
  std::vector<Layer> layers;
  std::vector<float*> hidden;  // L + 1 of [T, H]: hidden[l] is layer l's input, hidden[L] the output
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
  // Head, B rows.
  float* cls;      // [B, H]
  float* pooled;   // [B, H] tanh output
  float* dropped;  // [B, H] dropout(pooled): classifier input
  float* logits;   // [B, C]
  float* dlogits;  // [B, C]
  float* dpooled;  // [B, H]
  float* dcls;     // [B, H]
  float* attention_scratch;
  int threads = 1;
  std::vector<int32_t> positions;  // [T]
};

ClassifierStep::ClassifierStep(const BertConfig& config, size_t max_tokens, int max_batch)
    : config_(config),
      activation_(activation_from_name(config.hidden_act)),
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
  const int64_t T = static_cast<int64_t>(max_tokens), B = max_batch, C = config.num_labels();
  const int max_len = static_cast<int>(std::min<int64_t>(T, config.max_position_embeddings));
  Workspace& ws = *ws_;
  ws.threads = omp_get_max_threads();
  const int64_t scratch = attention_train_scratch_per_thread(max_len) * ws.threads;
  ws.layers.resize(L);
  ws.hidden.resize(L + 1);
  ws.storage = allocate_arena(
      [&](FloatArena& a) {
        for (auto& layer : ws.layers) {
          layer.qkv = a.take(T * 3 * H);
          layer.context = a.take(T * H);
          layer.attn_sum = a.take(T * H);
          layer.attn_mean = a.take(T);
          layer.attn_rstd = a.take(T);
          layer.attn_norm = a.take(T * H);
          layer.inter_pre = a.take(T * I);
          layer.out_sum = a.take(T * H);
          layer.out_mean = a.take(T);
          layer.out_rstd = a.take(T);
        }
        for (auto& h : ws.hidden) h = a.take(T * H);
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
        ws.cls = a.take(B * H);
        ws.pooled = a.take(B * H);
        ws.dropped = a.take(B * H);
        ws.dpooled = a.take(B * H);
        ws.dcls = a.take(B * H);
        ws.logits = a.take(B * C);
        ws.dlogits = a.take(B * C);
        ws.attention_scratch = a.take(scratch);
      },
      [&](size_t bytes) {
        return "cannot allocate " + std::to_string(bytes >> 20) + " MiB of training activations for " +
               std::to_string(max_tokens) + " tokens per batch (try a smaller batch size or maximum length)";
      });
  ws.positions.resize(T);
  seen_.assign(config.vocab_size, 0);
  touched_.reserve(config.vocab_size);
}

ClassifierStep::~ClassifierStep() = default;

const float* ClassifierStep::logits() const { return ws_->logits; }

void ClassifierStep::check_batch(const BertParams& params, const BertParams& grads, const Batch& batch) const {
  const BertConfig& c = config_;
  if (!params.pool_w || !params.cls_w)
    throw std::logic_error("ClassifierStep needs parameters with the pooler and classifier heads");
  if (grads.size() != params.size() || !grads.pool_w || !grads.cls_w || grads.layers.size() != params.layers.size())
    throw std::logic_error("ClassifierStep: gradients must have the parameters' config and heads");
  auto has_shape = [&](const char* name, std::vector<int64_t> shape) {
    const TensorSpec* spec = params.find(name);
    return spec && spec->shape == shape;
  };
  if (static_cast<int>(params.layers.size()) != c.num_hidden_layers ||
      !has_shape("bert.embeddings.word_embeddings.weight", {c.vocab_size, c.hidden_size}) ||
      !has_shape("bert.embeddings.position_embeddings.weight", {c.max_position_embeddings, c.hidden_size}) ||
      !has_shape("bert.embeddings.token_type_embeddings.weight", {c.type_vocab_size, c.hidden_size}) ||
      !has_shape("classifier.weight", {c.num_labels(), c.hidden_size}) ||
      (c.num_hidden_layers > 0 &&
       !has_shape("bert.encoder.layer.0.intermediate.dense.weight", {c.intermediate_size, c.hidden_size})))
    throw std::logic_error("ClassifierStep: parameters do not match the config");
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
    if (batch.labels[b] < 0 || batch.labels[b] >= c.num_labels())
      throw Error("training batch: label " + std::to_string(batch.labels[b]) + " of sequence " +
                  std::to_string(b) + " is outside 0.." + std::to_string(c.num_labels() - 1));
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

float ClassifierStep::forward_backward(const BertParams& params, BertParams& grads, const Batch& batch,
                                       const StepOptions& opts) {
  check_batch(params, grads, batch);
  const BertConfig& c = config_;
  Workspace& ws = *ws_;
  const int B = batch.num_seqs();
  const int64_t T = batch.num_tokens();
  const int64_t H = c.hidden_size, I = c.intermediate_size, C = c.num_labels();
  const int L = c.num_hidden_layers;
  const float eps = c.layer_norm_eps;
  const uint64_t seed = opts.dropout_seed;
  for (int b = 0; b < B; b++)
    for (int32_t t = batch.offsets[b]; t < batch.offsets[b + 1]; t++) ws.positions[t] = t - batch.offsets[b];

  AttentionShape shape;
  shape.num_seqs = B;
  shape.num_heads = c.num_attention_heads;
  shape.head_size = c.head_size();
  shape.q_stride = shape.kv_stride = 3 * H;
  shape.q_offsets = shape.kv_offsets = batch.offsets.data();

  // ---- forward ----
  embeddings_forward_train(ws.hidden[0], ws.emb_sum, ws.emb_mean, ws.emb_rstd, batch.ids.data(),
                           batch.type_ids.data(), ws.positions.data(), T, H, params.word_emb,
                           params.type_emb, params.pos_emb, params.emb_ln_w, params.emb_ln_b, eps);
  dropout_forward(ws.hidden[0], ws.hidden[0], T * H, opts.hidden_dropout, seed, kEmbeddingStream);
  for (int l = 0; l < L; l++) {
    const LayerParams& W = params.layers[l];
    Workspace::Layer& A = ws.layers[l];
    const float* x = ws.hidden[l];
    linear_forward(A.qkv, x, W.qkv_w, W.qkv_b, T, 3 * H, H);
    attention_forward_train(A.context, A.qkv, A.qkv + H, A.qkv + 2 * H, shape, opts.attention_dropout,
                            seed, layer_stream(l, kAttentionProbs), ws.attention_scratch);
    linear_forward(ws.tmp, A.context, W.attn_out_w, W.attn_out_b, T, H, H);
    dropout_forward(ws.tmp, ws.tmp, T * H, opts.hidden_dropout, seed, layer_stream(l, kAttentionOutput));
    residual_layernorm_forward_train(A.attn_norm, A.attn_sum, A.attn_mean, A.attn_rstd, ws.tmp, x,
                                     W.attn_ln_w, W.attn_ln_b, T, H, eps);
    linear_forward(A.inter_pre, A.attn_norm, W.inter_w, W.inter_b, T, I, H);
    activation_forward(activation_, ws.act, A.inter_pre, T * I);
    linear_forward(ws.tmp, ws.act, W.out_w, W.out_b, T, H, I);
    dropout_forward(ws.tmp, ws.tmp, T * H, opts.hidden_dropout, seed, layer_stream(l, kFfnOutput));
    residual_layernorm_forward_train(ws.hidden[l + 1], A.out_sum, A.out_mean, A.out_rstd, ws.tmp,
                                     A.attn_norm, W.out_ln_w, W.out_ln_b, T, H, eps);
  }
  for (int b = 0; b < B; b++) {
    const float* row = ws.hidden[L] + static_cast<int64_t>(batch.offsets[b]) * H;
    std::copy(row, row + H, ws.cls + b * H);
  }
  pooler_forward(ws.pooled, ws.cls, params.pool_w, params.pool_b, B, H);
  const float cls_p = opts.classifier_dropout;
  dropout_forward(ws.dropped, ws.pooled, B * H, cls_p, seed, kPooledStream);
  classifier_forward(ws.logits, ws.dropped, params.cls_w, params.cls_b, B, H, C);
  const float loss = crossentropy_forward(ws.logits, batch.labels.data(), B, C);

  // ---- backward ----
  crossentropy_backward(ws.dlogits, ws.logits, batch.labels.data(), B, C, opts.grad_scale);
  classifier_backward(ws.dpooled, grads.cls_w, grads.cls_b, ws.dlogits, ws.dropped, params.cls_w, B, H, C);
  dropout_backward(ws.dpooled, ws.dpooled, B * H, cls_p, seed, kPooledStream);
  pooler_backward(opts.train_encoder ? ws.dcls : nullptr, grads.pool_w, grads.pool_b, ws.dpooled,
                  ws.pooled, ws.cls, params.pool_w, B, H);
  if (!opts.train_encoder) return loss;

  std::fill(ws.d_hidden, ws.d_hidden + T * H, 0.0f);
  for (int b = 0; b < B; b++)
    std::copy(ws.dcls + b * H, ws.dcls + (b + 1) * H, ws.d_hidden + static_cast<int64_t>(batch.offsets[b]) * H);
  for (int l = L - 1; l >= 0; l--) {
    const LayerParams& W = params.layers[l];
    LayerParams& G = grads.layers[l];
    Workspace::Layer& A = ws.layers[l];
    // Second Add & Norm: d_hidden is dLoss/d(layer output).
    residual_layernorm_backward(ws.d_tmp, ws.d_norm, G.out_ln_w, G.out_ln_b, ws.d_hidden, A.out_sum,
                                W.out_ln_w, A.out_mean, A.out_rstd, T, H);
    dropout_backward(ws.d_tmp, ws.d_tmp, T * H, opts.hidden_dropout, seed, layer_stream(l, kFfnOutput));
    // Feed-forward.
    activation_forward(activation_, ws.act, A.inter_pre, T * I);
    linear_backward(ws.d_inter, G.out_w, G.out_b, ws.d_tmp, ws.act, W.out_w, T, H, I);
    activation_backward(activation_, ws.d_inter, ws.d_inter, A.inter_pre, T * I);
    linear_backward(ws.d_norm, G.inter_w, G.inter_b, ws.d_inter, A.attn_norm, W.inter_w, T, I, H, 1.0f);
    // First Add & Norm: the residual's gradient goes straight to the layer input.
    residual_layernorm_backward(ws.d_tmp, ws.d_hidden, G.attn_ln_w, G.attn_ln_b, ws.d_norm, A.attn_sum,
                                W.attn_ln_w, A.attn_mean, A.attn_rstd, T, H);
    dropout_backward(ws.d_tmp, ws.d_tmp, T * H, opts.hidden_dropout, seed, layer_stream(l, kAttentionOutput));
    // Attention.
    linear_backward(ws.d_context, G.attn_out_w, G.attn_out_b, ws.d_tmp, A.context, W.attn_out_w, T, H, H);
    attention_backward(ws.d_qkv, ws.d_qkv + H, ws.d_qkv + 2 * H, ws.d_context, A.qkv, A.qkv + H,
                       A.qkv + 2 * H, shape, opts.attention_dropout, seed, layer_stream(l, kAttentionProbs),
                       ws.attention_scratch);
    linear_backward(ws.d_hidden, G.qkv_w, G.qkv_b, ws.d_qkv, ws.hidden[l], W.qkv_w, T, 3 * H, H, 1.0f);
  }
  dropout_backward(ws.d_hidden, ws.d_hidden, T * H, opts.hidden_dropout, seed, kEmbeddingStream);
  embedding_touched_rows(batch.ids.data(), T, c.pad_token_id, seen_.data(), touched_);
  embeddings_backward(grads.word_emb, grads.type_emb, grads.pos_emb, grads.emb_ln_w, grads.emb_ln_b,
                      ws.d_hidden, ws.emb_sum, ws.emb_mean, ws.emb_rstd, batch.ids.data(),
                      batch.type_ids.data(), ws.positions.data(), T, H, params.emb_ln_w, c.pad_token_id);
  return loss;
}

void ClassifierStep::zero_grads(BertParams& grads) {
  const int64_t H = config_.hidden_size;
  for (const TensorSpec& spec : grads.specs()) {
    float* data = grads.tensor(spec);
    if (data != grads.word_emb) {
      std::fill(data, data + spec.numel, 0.0f);
      continue;
    }
    for (int32_t row : touched_) std::fill(data + row * H, data + (row + 1) * H, 0.0f);
  }
  for (int32_t row : touched_) seen_[row] = 0;
  touched_.clear();
}

}  // namespace bertft
