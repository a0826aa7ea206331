#include "inference/classifier.h"

#include <omp.h>

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "common/arena.h"
#include "common/error.h"
#include "common/profile.h"
#include "kernels/attention.h"
#include "kernels/bf16.h"
#include "kernels/classifier_head.h"
#include "kernels/embeddings.h"
#include "kernels/layernorm.h"
#include "kernels/linear.h"

namespace bertft {

// Every activation lives in one allocation (common/arena.h); the views below partition it. T is the
// packed token count of a batch (at most max_batch_size * max_length), B its number of inputs.
struct SequenceClassifier::Workspace {
  std::unique_ptr<float[]> storage;  // uninitialised: pages are only touched as batches need them
  float* hidden;        // [T, H]  layer input, then layer output
  float* qkv;           // [T, 3H] fused query/key/value projections ([T, 2H] keys/values in the last layer)
  float* context;       // [T, H]  attention output
  float* attn_norm;     // [T, H]  LayerNorm(attention projection + hidden)
  float* intermediate;  // [T, I]  feed-forward activations
  // The last layer only needs its [CLS] rows, one per input:
  float* cls_hidden;        // [B, H]
  float* cls_query;         // [B, H]
  float* cls_context;       // [B, H]
  float* cls_attn_norm;     // [B, H]
  float* cls_intermediate;  // [B, I]
  float* pooled;            // [B, H]
  float* attention_scratch;  // per thread: attention_scratch_per_thread (fp32) or attention_train_scratch_per_thread (bf16)
  // bf16 mode only:
  bf16* operand_b;       // [T, H]: the current product's fp32 input rounded to bf16
  bf16* qkv_b;           // [T, 3H] projections (last layer: keys and values [T, 2H], then [CLS] queries [B, H])
  bf16* intermediate_b;  // [T, I] feed-forward activations
  int threads;
  // Packed inputs, [T] each, and sequence boundaries [B + 1].
  std::vector<int32_t> ids, type_ids, positions;
  std::vector<int> seq_offsets;
  std::vector<int> cls_offsets;  // 0, 1, ..., B: the [CLS] query rows of the last layer
};

void check_input_fits(const ModelConfig& config, const TokenizedInput& input, int max_length) {
  const size_t n = input.ids.size();
  if (n == 0) throw Error("input has no tokens (it needs at least [CLS])");
  if (n > static_cast<size_t>(max_length))
    throw Error("input has " + std::to_string(n) + " tokens, more than the maximum length " +
                std::to_string(max_length));
  if (input.type_ids.size() != n)
    throw Error("input has " + std::to_string(n) + " token ids but " +
                std::to_string(input.type_ids.size()) + " token type ids");
  for (size_t i = 0; i < n; i++) {
    if (input.ids[i] < 0 || input.ids[i] >= config.vocab_size)
      throw Error("token id " + std::to_string(input.ids[i]) + " at position " + std::to_string(i) +
                  " is outside the model's vocab_size " + std::to_string(config.vocab_size) +
                  " (do the tokenizer files and config.json belong together?)");
    if (input.type_ids[i] < 0 || input.type_ids[i] >= config.type_vocab_size)
      throw Error("token type id " + std::to_string(input.type_ids[i]) + " at position " +
                  std::to_string(i) + " is outside the model's type_vocab_size " +
                  std::to_string(config.type_vocab_size));
  }
}

SequenceClassifier::SequenceClassifier(const Model& model, int max_batch_size, int max_length,
                                       Precision precision)
    : model_(model),
      activation_(activation_from_name(model.config.hidden_act)),
      precision_(precision),
      max_batch_size_(max_batch_size),
      max_length_(max_length),
      ws_(std::make_unique<Workspace>()) {
  const ModelConfig& c = model.config;
  if (c.position_embedding_type != "absolute")
    throw Error("config.json: field 'position_embedding_type': '" + c.position_embedding_type +
                "' is not supported (only 'absolute')");
  if (max_length < 1 || max_length > c.max_position_embeddings)
    throw Error("maximum length " + std::to_string(max_length) + " is outside 1.." +
                std::to_string(c.max_position_embeddings) + " (the model's max_position_embeddings)");
  if (max_batch_size < 1) throw Error("batch size must be at least 1");
  if (!model.params.pool_w || !model.params.cls_w)
    throw std::logic_error("SequenceClassifier needs a model loaded with the pooler and classifier heads");

  const int64_t H = c.hidden_size, I = c.intermediate_size;
  const int64_t T = static_cast<int64_t>(max_batch_size) * max_length, B = max_batch_size;
  Workspace& ws = *ws_;
  ws.threads = omp_get_max_threads();
  const bool bf16_mode = precision == Precision::Bf16;
  const int64_t scratch = (bf16_mode ? attention_train_scratch_per_thread(max_length)
                                     : attention_scratch_per_thread(max_length, c.head_size())) *
                          ws.threads;
  if (T > std::numeric_limits<int>::max())
    throw Error("batch size " + std::to_string(max_batch_size) + " x maximum length " +
                std::to_string(max_length) + " is too many tokens for one batch");
  ws.storage = allocate_arena(
      [&](FloatArena& a) {
        ws.hidden = a.take(T * H);
        ws.qkv = a.take(T * 3 * H);
        ws.context = a.take(T * H);
        ws.attn_norm = a.take(T * H);
        ws.intermediate = a.take(T * I);
        ws.cls_hidden = a.take(B * H);
        ws.cls_query = a.take(B * H);
        ws.cls_context = a.take(B * H);
        ws.cls_attn_norm = a.take(B * H);
        ws.cls_intermediate = a.take(B * I);
        ws.pooled = a.take(B * H);
        ws.attention_scratch = a.take(scratch);
        ws.operand_b = ws.qkv_b = ws.intermediate_b = nullptr;
        if (bf16_mode) {
          ws.operand_b = a.take_bf16(T * H);
          ws.qkv_b = a.take_bf16(T * 3 * H);
          ws.intermediate_b = a.take_bf16(T * I);
        }
      },
      [&](size_t bytes) {
        return "cannot allocate " + std::to_string(bytes >> 20) + " MiB of activations for batch size " +
               std::to_string(max_batch_size) + " x maximum length " + std::to_string(max_length) +
               " (try a smaller batch size)";
      });
  ws.ids.resize(T);
  ws.type_ids.resize(T);
  ws.positions.resize(T);
  ws.seq_offsets.resize(B + 1);
  ws.cls_offsets.resize(B + 1);
  for (int b = 0; b <= B; b++) ws.cls_offsets[b] = b;
  if (bf16_mode) {
    weights_b_ = std::make_unique<EncoderWeightsBf16>(c);
    weights_b_->update(model.params);
  }
}

SequenceClassifier::~SequenceClassifier() = default;

// out[rows, N] = in · weight^T + bias, in the classifier's precision (bf16: `in` rounded into in_b).
void SequenceClassifier::dense(float* out, const float* in, bf16* in_b, const float* weight,
                               const bf16* weight_b, const float* bias, int64_t rows, int64_t N, int64_t K) {
  if (precision_ == Precision::Bf16) {
    round_to_bf16(in_b, in, rows * K);
    OpScope scope(Op::Linear);
    linear_forward(out, in_b, weight_b, bias, rows, N, K);
  } else {
    OpScope scope(Op::Linear);
    linear_forward(out, in, weight, bias, rows, N, K);
  }
}

void SequenceClassifier::round_to_bf16(bf16* dst, const float* src, int64_t n) {
  OpScope scope(Op::Convert);
  to_bf16(dst, src, n);
}

// The feed-forward block over `rows` rows: out = dense(activation(dense(in))), in and out [rows, H].
void SequenceClassifier::feed_forward(float* out, const float* in, int l, int64_t rows) {
  const ModelConfig& c = model_.config;
  const LayerParams& layer = model_.params.layers[l];
  const int64_t H = c.hidden_size, I = c.intermediate_size;
  Workspace& ws = *ws_;
  if (weights_b_) {  // the activation writes the second product's bf16 operand directly
    const LayerWeightsBf16& wb = weights_b_->layer(l);
    round_to_bf16(ws.operand_b, in, rows * H);
    {
      OpScope scope(Op::Linear);
      linear_forward(ws.intermediate, ws.operand_b, wb.inter_w, layer.inter_b, rows, I, H);
    }
    {
      OpScope scope(Op::Activation);
      activation_forward(activation_, ws.intermediate_b, ws.intermediate, rows * I);
    }
    OpScope scope(Op::Linear);
    linear_forward(out, ws.intermediate_b, wb.out_w, layer.out_b, rows, H, I);
    return;
  }
  {
    OpScope scope(Op::Linear);
    linear_forward(ws.intermediate, in, layer.inter_w, layer.inter_b, rows, I, H);
  }
  {
    OpScope scope(Op::Activation);
    activation_forward(activation_, ws.intermediate, ws.intermediate, rows * I);
  }
  OpScope scope(Op::Linear);
  linear_forward(out, ws.intermediate, layer.out_w, layer.out_b, rows, H, I);
}

// One full encoder layer over all T packed tokens: ws.hidden in, ws.hidden out.
void SequenceClassifier::encoder_layer_forward(int l, int64_t T, int num_seqs) {
  const ModelConfig& c = model_.config;
  const LayerParams& layer = model_.params.layers[l];
  const LayerWeightsBf16* wb = weights_b_ ? &weights_b_->layer(l) : nullptr;
  const int64_t H = c.hidden_size;
  Workspace& ws = *ws_;
  AttentionShape shape;
  shape.num_seqs = num_seqs;
  shape.num_heads = c.num_attention_heads;
  shape.head_size = c.head_size();
  shape.q_stride = shape.kv_stride = 3 * H;
  shape.q_offsets = shape.kv_offsets = ws.seq_offsets.data();
  if (wb) {
    dense(ws.qkv, ws.hidden, ws.operand_b, layer.qkv_w, wb->qkv_w, layer.qkv_b, T, 3 * H, H);
    round_to_bf16(ws.qkv_b, ws.qkv, T * 3 * H);
    OpScope scope(Op::Attention);
    attention_forward_train(ws.context, ws.qkv_b, ws.qkv_b + H, ws.qkv_b + 2 * H, shape, 0.0f, 0, 0,
                            ws.attention_scratch);
  } else {
    {
      OpScope scope(Op::Linear);
      linear_forward(ws.qkv, ws.hidden, layer.qkv_w, layer.qkv_b, T, 3 * H, H);
    }
    OpScope scope(Op::Attention);
    attention_forward(ws.context, ws.qkv, ws.qkv + H, ws.qkv + 2 * H, shape, ws.attention_scratch);
  }
  dense(ws.attn_norm, ws.context, ws.operand_b, layer.attn_out_w, wb ? wb->attn_out_w : nullptr, layer.attn_out_b,
        T, H, H);
  {
    OpScope scope(Op::LayerNorm);
    residual_layernorm_forward(ws.attn_norm, ws.attn_norm, ws.hidden, layer.attn_ln_w, layer.attn_ln_b, T, H,
                               c.layer_norm_eps);
  }
  feed_forward(ws.hidden, ws.attn_norm, l, T);
  OpScope scope(Op::LayerNorm);
  residual_layernorm_forward(ws.hidden, ws.hidden, ws.attn_norm, layer.out_ln_w, layer.out_ln_b, T, H,
                             c.layer_norm_eps);
}

// The last encoder layer where only the [CLS] rows feed the pooler: keys and values for every
// token, but queries, attention output, feed-forward and LayerNorms for the B [CLS] rows only.
// ws.hidden (all tokens) and ws.cls_hidden (its [CLS] rows) in, ws.cls_hidden out.
void SequenceClassifier::last_layer_cls_forward(int l, int64_t T, int num_seqs) {
  const ModelConfig& c = model_.config;
  const LayerParams& layer = model_.params.layers[l];
  const LayerWeightsBf16* wb = weights_b_ ? &weights_b_->layer(l) : nullptr;
  const int64_t H = c.hidden_size, B = num_seqs;
  Workspace& ws = *ws_;
  AttentionShape shape;
  shape.num_seqs = num_seqs;
  shape.num_heads = c.num_attention_heads;
  shape.head_size = c.head_size();
  shape.q_stride = H;
  shape.kv_stride = 2 * H;
  shape.q_offsets = ws.cls_offsets.data();
  shape.kv_offsets = ws.seq_offsets.data();
  // Rows H..3H of the fused projection are key then value: kv [T, 2H], then the queries [B, H].
  if (wb) {
    bf16* kv = ws.qkv_b;
    bf16* query = ws.qkv_b + T * 2 * H;
    dense(ws.qkv, ws.hidden, ws.operand_b, layer.qkv_w + H * H, wb->qkv_w + H * H, layer.qkv_b + H, T, 2 * H, H);
    dense(ws.cls_query, ws.cls_hidden, ws.operand_b, layer.qkv_w, wb->qkv_w, layer.qkv_b, B, H, H);
    round_to_bf16(kv, ws.qkv, T * 2 * H);
    round_to_bf16(query, ws.cls_query, B * H);
    OpScope scope(Op::Attention);
    attention_forward_train(ws.cls_context, query, kv, kv + H, shape, 0.0f, 0, 0, ws.attention_scratch);
  } else {
    float* kv = ws.qkv;
    {
      OpScope scope(Op::Linear);
      linear_forward(kv, ws.hidden, layer.qkv_w + H * H, layer.qkv_b + H, T, 2 * H, H);
      linear_forward(ws.cls_query, ws.cls_hidden, layer.qkv_w, layer.qkv_b, B, H, H);
    }
    OpScope scope(Op::Attention);
    attention_forward(ws.cls_context, ws.cls_query, kv, kv + H, shape, ws.attention_scratch);
  }
  dense(ws.cls_attn_norm, ws.cls_context, ws.operand_b, layer.attn_out_w, wb ? wb->attn_out_w : nullptr,
        layer.attn_out_b, B, H, H);
  {
    OpScope scope(Op::LayerNorm);
    residual_layernorm_forward(ws.cls_attn_norm, ws.cls_attn_norm, ws.cls_hidden, layer.attn_ln_w,
                               layer.attn_ln_b, B, H, c.layer_norm_eps);
  }
  feed_forward(ws.cls_hidden, ws.cls_attn_norm, l, B);
  OpScope scope(Op::LayerNorm);
  residual_layernorm_forward(ws.cls_hidden, ws.cls_hidden, ws.cls_attn_norm, layer.out_ln_w, layer.out_ln_b, B, H,
                             c.layer_norm_eps);
}

void SequenceClassifier::forward(std::span<const TokenizedInput> batch, float* logits) {
  const ModelConfig& c = model_.config;
  const ModelParams& params = model_.params;
  Workspace& ws = *ws_;
  const int B = static_cast<int>(batch.size());
  if (B > max_batch_size_) throw std::logic_error("batch larger than the workspace was sized for");
  if (omp_get_max_threads() > ws.threads)
    throw std::logic_error("more OpenMP threads than the workspace was sized for");
  if (B == 0) return;
  const int64_t H = c.hidden_size;

  int64_t T = 0;
  for (int b = 0; b < B; b++) {
    const TokenizedInput& input = batch[b];
    check_input_fits(c, input, max_length_);
    ws.seq_offsets[b] = static_cast<int>(T);
    for (size_t i = 0; i < input.ids.size(); i++, T++) {
      ws.ids[T] = input.ids[i];
      ws.type_ids[T] = input.type_ids[i];
      ws.positions[T] = static_cast<int32_t>(i);
    }
  }
  ws.seq_offsets[B] = static_cast<int>(T);

  embeddings_forward(ws.hidden, ws.ids.data(), ws.type_ids.data(), ws.positions.data(), T, H,
                     params.word_emb, params.type_emb, params.pos_emb, params.emb_ln_w,
                     params.emb_ln_b, c.layer_norm_eps);
  const int L = c.num_hidden_layers;
  for (int l = 0; l + 1 < L; l++) encoder_layer_forward(l, T, B);
  for (int b = 0; b < B; b++) {
    const float* cls = ws.hidden + static_cast<int64_t>(ws.seq_offsets[b]) * H;
    std::copy(cls, cls + H, ws.cls_hidden + b * H);
  }
  if (L > 0) last_layer_cls_forward(L - 1, T, B);
  pooler_forward(ws.pooled, ws.cls_hidden, params.pool_w, params.pool_b, B, H);
  classifier_forward(logits, ws.pooled, params.cls_w, params.cls_b, B, H, c.num_labels());
}

}  // namespace bertft
