#include "model/encoder.h"

#include <omp.h>

#include <algorithm>
#include <deque>
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

namespace bertft {

namespace {

// Dropout streams: one per site and layer, so no two sites share a mask.
enum Site : uint64_t { kAttentionProbs = 0, kAttentionOutput = 1, kFfnOutput = 2 };
uint64_t layer_stream(int layer, Site site) { return static_cast<uint64_t>(layer) * 8 + site; }
constexpr uint64_t kEmbeddingStream = 1ULL << 32;

// A LayerNorm's input and statistics, kept for the backward pass (all nullptr in inference).
struct NormStats {
  float* sum = nullptr;  // [rows, width]
  float* mean = nullptr;  // [rows]
  float* rstd = nullptr;  // [rows]
};

NormStats take_stats(FloatArena& a, int64_t rows, int64_t width) {
  return NormStats{a.take(rows * width), a.take(rows), a.take(rows)};
}

// out = LayerNorm(in + residual) * weight + bias, keeping the statistics when training.
void add_norm(float* out, const NormStats& s, const float* in, const float* residual, const float* weight,
              const float* bias, int64_t rows, int64_t H, float eps) {
  OpScope scope(Op::LayerNorm);
  if (s.sum)
    residual_layernorm_forward_train(out, s.sum, s.mean, s.rstd, in, residual, weight, bias, rows, H, eps);
  else
    residual_layernorm_forward(out, in, residual, weight, bias, rows, H, eps);
}

void dropout(float* x, int64_t n, float p, uint64_t seed, uint64_t stream) {
  if (p <= 0) return;
  OpScope scope(Op::Dropout);
  dropout_forward(x, x, n, p, seed, stream);
}

void dropout_grad(float* d, int64_t n, float p, uint64_t seed, uint64_t stream) {
  if (p <= 0) return;
  OpScope scope(Op::Dropout);
  dropout_backward(d, d, n, p, seed, stream);
}

void round_bf16(bf16* dst, const float* src, int64_t n) {
  OpScope scope(Op::Convert);
  to_bf16(dst, src, n);
}

}  // namespace

StepOptions step_options_from_config(const ModelConfig& config) {
  StepOptions opts;
  opts.hidden_dropout = config.hidden_dropout_prob;
  opts.attention_dropout = config.attention_probs_dropout_prob;
  opts.classifier_dropout = config.classifier_dropout.value_or(config.hidden_dropout_prob);
  return opts;
}

// A layer's dense layers, bound to the parameters of the current forward pass. query and key_value
// are the rows of qkv the first-token layer computes separately.
struct Encoder::LayerDense {
  Dense qkv, attn_out, ffn_in, ffn_out;
  Dense query, key_value;
};

// Every buffer, in one allocation: T = max_tokens, B = max_batch. Training keeps, per layer, what the
// backward pass reads; with EncoderOutput::kClsRows the last layer keeps T rows of keys and values and
// B rows (first tokens) of everything else. In bf16 mode the products' operands are kept in bf16 and
// the fp32 buffers marked (transient) are shared by all layers, since only the forward pass reads
// them. Inference shares one set of buffers among all layers and keeps no statistics. int8 keeps the
// fp32 buffers (and qkv_b when attention runs in bf16) plus the quantized rows of one product's input.
struct Encoder::Workspace {
  std::unique_ptr<float[]> storage;
  struct Layer {
    float* qkv;        // [T, 3H] fused projections (the first-token layer: keys and values [T, 2H], then queries [B, H]) (transient)
    float* context;    // [T, H]  attention output (input of the attention output dense) (transient)
    NormStats attn;    // first LayerNorm: input dropout(dense(context)) + layer input
    float* attn_norm;  // [T, H]  first LayerNorm output: FFN input and second residual (transient)
    float* inter_pre;  // [T, I]  FFN input dense output, before the activation
    NormStats out;     // second LayerNorm: input dropout(dense(act)) + attn_norm
    // bf16 mode only: the products' operands (qkv_b: whenever attention runs in bf16).
    bf16* input_b;      // [T, H] the layer input
    bf16* qkv_b;        // like qkv
    bf16* context_b;    // [T, H]
    bf16* attn_norm_b;  // [T, H]
  };
  std::vector<Layer> layers;
  std::vector<float*> hidden;  // L + 1 of [T, H]: hidden[l] is layer l's input, hidden[L] the output (transient)
  NormStats emb;               // [T, E] embeddings LayerNorm input
  float* emb_norm;             // [T, E] embeddings LayerNorm output when a projection follows (ELECTRA), else hidden[0]
  bf16* emb_norm_b;            // [T, E] its bf16 copy, the projection's operand
  float* tmp;                  // [T, H] a dense output before its residual
  float* act;                  // [T, I] activation output (recomputed in the backward pass)
  bf16* act_b;                 // [T, I]
  // Training only:
  float* d_hidden;   // [T, H]
  float* d_norm;     // [T, H]
  float* d_tmp;      // [T, H]
  float* d_inter;    // [T, I]
  float* d_qkv;      // [T, 3H]
  float* d_context;  // [T, H]
  float* d_emb;      // [T, E] with a projection
  bf16* grad_b;      // [T, max(3H, I)]: a gradient rounded for the products of a backward pass
  // kClsRows: the last layer's first-token rows, B rows.
  float* cls_in;    // [B, H] last layer input at the first tokens
  bf16* cls_in_b;   // [B, H]
  float* d_cls_in;  // [B, H]
  float* d_cls_q;   // [B, H]
  float* cls;       // [B, H] last layer output at the first tokens: the encoder's output
  float* dcls;      // [B, H]
  float* attention_scratch;
  int threads = 1;
  std::vector<int32_t> positions;  // [T]
  std::vector<int> cls_offsets;    // 0, 1, ..., B: one first-token query per sequence in the last layer
  // The current forward pass.
  const ModelParams* params = nullptr;
  const PackedTokens* tokens = nullptr;
  int B = 0;
  int64_t T = 0;
  std::vector<LayerDense> dense;
  Dense emb_project;
  std::unique_ptr<float[]> weights_b;  // bf16 copies of every dense weight of the encoder
  std::vector<bf16*> layer_weights_b;  // per layer: qkv [3H, H], attn_out [H, H], ffn_in [I, H], ffn_out [H, I]
  bf16* emb_project_b = nullptr;       // [H, E]
  bool weights_rounded = false;
  // int8 mode: every dense weight of the encoder quantized (per layer qkv, or the first-token layer's
  // query and key_value, then attn_out, ffn_in, ffn_out; then emb_project), and the scratch of
  // QuantizedRows for T rows of up to max(H, I, E) inputs.
  std::deque<Int8Weight> weights_i8;  // a deque: the layers point into it as it grows
  std::vector<uint8_t> row_values;
  std::vector<float> row_scales;
  std::vector<int32_t> row_zero_points;
  QuantizedRows quantized_rows() { return {row_values.data(), row_scales.data(), row_zero_points.data()}; }
};

Encoder::Encoder(const ModelConfig& config, size_t max_tokens, int max_batch, Precision precision,
                 EncoderOutput output, EncoderMode mode)
    : config_(config),
      activation_(activation_from_name(config.hidden_act)),
      precision_(precision),
      bf16_attention_(precision == Precision::Bf16 || (precision == Precision::Int8 && cpu_has_bf16())),
      output_(output),
      mode_(mode),
      max_tokens_(max_tokens),
      max_batch_(max_batch),
      ws_(std::make_unique<Workspace>()) {
  if (config.position_embedding_type != "absolute")
    throw Error("config.json: field 'position_embedding_type': '" + config.position_embedding_type +
                "' is not supported (only 'absolute')");
  if (max_batch < 1) throw Error("batch size must be at least 1");
  if (precision == Precision::Int8 && mode == EncoderMode::kTraining)
    throw std::logic_error("Encoder: int8 is for inference only");
  if (max_tokens < 1 || max_tokens > static_cast<size_t>(std::numeric_limits<int32_t>::max()))
    throw Error("maximum tokens per batch " + std::to_string(max_tokens) + " is out of range");
  const int64_t H = config.hidden_size, E = config.embedding_width(), I = config.intermediate_size;
  const int64_t L = config.num_hidden_layers, T = static_cast<int64_t>(max_tokens), B = max_batch;
  const int max_len = static_cast<int>(std::min<int64_t>(T, config.max_sequence_length()));
  const bool bf16_mode = precision == Precision::Bf16;
  const bool training = mode == EncoderMode::kTraining;
  const bool project = E != H;
  Workspace& ws = *ws_;
  ws.threads = omp_get_max_threads();
  const int64_t scratch = (training || bf16_attention_ ? attention_train_scratch_per_thread(max_len)
                                                 : attention_scratch_per_thread(max_len, config.head_size())) *
                          ws.threads;
  ws.layers.resize(L);
  ws.hidden.resize(L + 1);
  ws.storage = allocate_arena(
      [&](FloatArena& a) {
        // Buffers only the forward pass reads: one set for all layers in bf16 training and in inference.
        const bool share_transient = bf16_mode || !training;
        Workspace::Layer shared{};
        if (share_transient) {
          shared.qkv = a.take(T * 3 * H);
          shared.context = a.take(T * H);
          shared.attn_norm = a.take(T * H);
        }
        if (!training) {
          shared.inter_pre = a.take(T * I);
          if (bf16_attention_) shared.qkv_b = a.take_bf16(T * 3 * H);
          if (bf16_mode) {
            shared.input_b = a.take_bf16(T * H);
            shared.context_b = a.take_bf16(T * H);
            shared.attn_norm_b = a.take_bf16(T * H);
          }
        }
        for (auto& layer : ws.layers) {
          layer = shared;
          if (!training) continue;
          if (!share_transient) {
            layer.qkv = a.take(T * 3 * H);
            layer.context = a.take(T * H);
            layer.attn_norm = a.take(T * H);
          }
          layer.attn = take_stats(a, T, H);
          layer.inter_pre = a.take(T * I);
          layer.out = take_stats(a, T, H);
          if (bf16_mode) {
            layer.input_b = a.take_bf16(T * H);
            layer.qkv_b = a.take_bf16(T * 3 * H);
            layer.context_b = a.take_bf16(T * H);
            layer.attn_norm_b = a.take_bf16(T * H);
          }
        }
        if (!training) {
          // Each layer reads its input before it writes its output over it.
          float* h = a.take(T * H);
          for (auto& x : ws.hidden) x = h;
        } else if (bf16_mode) {
          // Two buffers, alternating: layer l reads hidden[l] and writes hidden[l + 1].
          float* even = a.take(T * H);
          float* odd = a.take(T * H);
          for (size_t l = 0; l < ws.hidden.size(); l++) ws.hidden[l] = l % 2 ? odd : even;
        } else {
          for (auto& h : ws.hidden) h = a.take(T * H);
        }
        ws.emb = training ? take_stats(a, T, E) : NormStats{};
        ws.emb_norm = project ? a.take(T * E) : ws.hidden[0];
        ws.emb_norm_b = project && bf16_mode ? a.take_bf16(T * E) : nullptr;
        ws.tmp = a.take(T * H);
        // bf16 writes the activation straight into the next product's operand; fp32 inference in place.
        ws.act = bf16_mode ? nullptr : training ? a.take(T * I) : shared.inter_pre;
        ws.act_b = bf16_mode ? a.take_bf16(T * I) : nullptr;
        ws.d_hidden = ws.d_norm = ws.d_tmp = ws.d_inter = ws.d_qkv = ws.d_context = ws.d_emb = nullptr;
        ws.grad_b = nullptr;
        if (training) {
          ws.d_hidden = a.take(T * H);
          ws.d_norm = a.take(T * H);
          ws.d_tmp = a.take(T * H);
          ws.d_inter = a.take(T * I);
          ws.d_qkv = a.take(T * 3 * H);
          ws.d_context = a.take(T * H);
          ws.d_emb = project ? a.take(T * E) : ws.d_hidden;
          if (bf16_mode) ws.grad_b = a.take_bf16(T * std::max(3 * H, I));
        }
        ws.cls_in = a.take(B * H);
        ws.cls_in_b = bf16_mode ? a.take_bf16(B * H) : nullptr;
        ws.cls = a.take(B * H);
        ws.d_cls_in = ws.d_cls_q = ws.dcls = nullptr;
        if (training) {
          ws.d_cls_in = a.take(B * H);
          ws.d_cls_q = a.take(B * H);
          ws.dcls = a.take(B * H);
        }
        ws.attention_scratch = a.take(scratch);
      },
      [&](size_t bytes) {
        return "cannot allocate " + std::to_string(bytes >> 20) + " MiB of " +
               (training ? "training activations" : "activations") + " for " + std::to_string(max_tokens) +
               " tokens per batch (try a smaller batch size or maximum length)";
      });
  ws.positions.resize(T);
  ws.cls_offsets.resize(B + 1);
  for (int b = 0; b <= B; b++) ws.cls_offsets[b] = b;
  ws.dense.resize(L);
  if (bf16_mode) {
    ws.layer_weights_b.resize(L);
    ws.weights_b = allocate_arena(
        [&](FloatArena& a) {
          for (bf16*& w : ws.layer_weights_b) w = a.take_bf16(3 * H * H + H * H + 2 * I * H);
          ws.emb_project_b = project ? a.take_bf16(H * E) : nullptr;
        },
        [](size_t bytes) { return "cannot allocate " + std::to_string(bytes >> 20) + " MiB of bf16 weights"; });
  }
  if (precision == Precision::Int8) {
    const int64_t max_in = std::max({H, I, E});
    ws.row_values.resize(T * max_in);
    ws.row_scales.resize(T);
    ws.row_zero_points.resize(T);
  }
  if (training) {
    seen_.assign(config.vocab_size, 0);
    touched_.reserve(config.vocab_size);
  }
}

Encoder::~Encoder() = default;

float* Encoder::output_grad() { return output_ == EncoderOutput::kClsRows ? ws_->dcls : ws_->d_hidden; }

void Encoder::check_params(const ModelParams& params) const {
  const ModelConfig& c = config_;
  auto has_shape = [&](Slot slot, int layer, std::vector<int64_t> shape) {
    const TensorSpec* spec = params.find(slot, layer);
    return spec && spec->shape == shape;
  };
  if (static_cast<int>(params.layers.size()) != c.num_hidden_layers ||
      !has_shape(Slot::WordEmbeddings, -1, {c.vocab_size, c.embedding_width()}) ||
      !has_shape(Slot::PositionEmbeddings, -1, {c.max_position_embeddings, c.embedding_width()}) ||
      (c.has_token_types() && !has_shape(Slot::TokenTypeEmbeddings, -1, {c.type_vocab_size, c.embedding_width()})) ||
      (c.num_hidden_layers > 0 && !has_shape(Slot::FfnInWeight, 0, {c.intermediate_size, c.hidden_size})))
    throw std::logic_error("Encoder: parameters do not match the config");
}

void Encoder::check_tokens(const PackedTokens& tokens) const {
  const ModelConfig& c = config_;
  const int B = tokens.num_seqs();
  const int64_t T = tokens.num_tokens();
  if (B < 1) throw Error("batch has no sequences");
  if (B > max_batch_)
    throw Error("batch has " + std::to_string(B) + " sequences, more than " + std::to_string(max_batch_));
  if (T > static_cast<int64_t>(max_tokens_))
    throw Error("batch has " + std::to_string(T) + " tokens, more than " + std::to_string(max_tokens_));
  if (tokens.type_ids.size() != tokens.ids.size()) throw Error("batch: ids and type_ids differ in length");
  if (tokens.offsets[0] != 0 || tokens.offsets[B] != T) throw Error("batch: offsets do not partition the tokens");
  const int max_len = c.max_sequence_length();
  for (int b = 0; b < B; b++) {
    const int len = tokens.offsets[b + 1] - tokens.offsets[b];
    if (len < 1 || len > max_len)
      throw Error("batch: sequence " + std::to_string(b) + " has " + std::to_string(len) + " tokens (allowed 1.." +
                  std::to_string(max_len) + ")");
  }
  if (!tokens.lengths.empty()) {
    if (tokens.lengths.size() != static_cast<size_t>(B)) throw Error("batch: lengths do not match the sequences");
    for (int b = 0; b < B; b++)
      if (tokens.lengths[b] < 1 || tokens.lengths[b] > tokens.offsets[b + 1] - tokens.offsets[b])
        throw Error("batch: sequence " + std::to_string(b) + " has " + std::to_string(tokens.lengths[b]) +
                    " real tokens, outside 1.." + std::to_string(tokens.offsets[b + 1] - tokens.offsets[b]));
  }
  for (int64_t t = 0; t < T; t++) {
    if (tokens.ids[t] < 0 || tokens.ids[t] >= c.vocab_size)
      throw Error("batch: token id " + std::to_string(tokens.ids[t]) + " is outside the vocab_size " +
                  std::to_string(c.vocab_size));
    if (c.has_token_types() && (tokens.type_ids[t] < 0 || tokens.type_ids[t] >= c.type_vocab_size))
      throw Error("batch: token type id " + std::to_string(tokens.type_ids[t]) + " is outside the type_vocab_size " +
                  std::to_string(c.type_vocab_size));
  }
}

void Encoder::bind_weights(const ModelParams& params) {
  const ModelConfig& c = config_;
  Workspace& ws = *ws_;
  const int64_t H = c.hidden_size, E = c.embedding_width(), I = c.intermediate_size;
  const bool rebind = ws.params != &params || mode_ == EncoderMode::kTraining;
  ws.params = &params;
  if (!rebind && ws.weights_rounded) return;
  if (precision_ == Precision::Int8) return bind_int8_weights(params);
  for (size_t l = 0; l < ws.dense.size(); l++) {
    const LayerParams& W = params.layers[l];
    bf16* wb = ws.layer_weights_b.empty() ? nullptr : ws.layer_weights_b[l];
    auto next = [&](int64_t n) {  // the layer's bf16 copies, back to back
      bf16* p = wb;
      if (wb) wb += n;
      return p;
    };
    LayerDense& d = ws.dense[l];
    d.qkv = Dense(W.qkv_w, W.qkv_b, 3 * H, H, next(3 * H * H));
    d.attn_out = Dense(W.attn_out_w, W.attn_out_b, H, H, next(H * H));
    d.ffn_in = Dense(W.inter_w, W.inter_b, I, H, next(I * H));
    d.ffn_out = Dense(W.out_w, W.out_b, H, I, next(H * I));
    d.query = d.qkv.rows(0, H);
    d.key_value = d.qkv.rows(H, 2 * H);
  }
  if (params.emb_proj_w) ws.emb_project = Dense(params.emb_proj_w, params.emb_proj_b, H, E, ws.emb_project_b);
  if (precision_ != Precision::Bf16) return;
  OpScope scope(Op::Convert);
  for (const LayerDense& d : ws.dense)
    for (const Dense* dense : {&d.qkv, &d.attn_out, &d.ffn_in, &d.ffn_out}) dense->refresh_bf16();
  if (params.emb_proj_w) ws.emb_project.refresh_bf16();
  ws.weights_rounded = true;
}

// int8: every dense layer bound to a quantized copy of its weight, made here once per parameter set.
// The first-token layer's query and key_value rows are quantized apart (per output channel, so
// exactly as in one piece): an int8 product writes whole rows of its output.
void Encoder::bind_int8_weights(const ModelParams& params) {
  const ModelConfig& c = config_;
  Workspace& ws = *ws_;
  const int64_t H = c.hidden_size, E = c.embedding_width(), I = c.intermediate_size;
  const int L = c.num_hidden_layers;
  const QuantizedRows rows = ws.quantized_rows();
  OpScope scope(Op::Convert);
  ws.weights_i8.clear();
  auto quantized = [&](const float* weight, const float* bias, int64_t out, int64_t in) {
    std::vector<int8_t> q(out * in);
    std::vector<float> scale(out);
    quantize_weight_per_channel(q.data(), scale.data(), weight, out, in);
    return Dense(ws.weights_i8.emplace_back(q.data(), scale.data(), out, in), bias, rows);
  };
  for (int l = 0; l < L; l++) {
    const LayerParams& W = params.layers[l];
    LayerDense& d = ws.dense[l];
    if (output_ == EncoderOutput::kClsRows && l == L - 1) {
      d.query = quantized(W.qkv_w, W.qkv_b, H, H);
      d.key_value = quantized(W.qkv_w + H * H, W.qkv_b ? W.qkv_b + H : nullptr, 2 * H, H);
    } else {
      d.qkv = quantized(W.qkv_w, W.qkv_b, 3 * H, H);
    }
    d.attn_out = quantized(W.attn_out_w, W.attn_out_b, H, H);
    d.ffn_in = quantized(W.inter_w, W.inter_b, I, H);
    d.ffn_out = quantized(W.out_w, W.out_b, H, I);
  }
  if (params.emb_proj_w) ws.emb_project = quantized(params.emb_proj_w, params.emb_proj_b, H, E);
  ws.weights_rounded = true;
}

const float* Encoder::forward(const ModelParams& params, const PackedTokens& tokens, const StepOptions& opts) {
  const ModelConfig& c = config_;
  Workspace& ws = *ws_;
  if (omp_get_max_threads() > ws.threads)
    throw std::logic_error("more OpenMP threads than the encoder's workspace was sized for");
  ws.tokens = &tokens;
  ws.B = tokens.num_seqs();
  ws.T = tokens.num_tokens();
  const int64_t H = c.hidden_size;
  const int L = c.num_hidden_layers;
  bind_weights(params);
  embed_forward(params, opts);
  const bool cls_rows = output_ == EncoderOutput::kClsRows;
  const int full_layers = cls_rows ? std::max(L - 1, 0) : L;
  for (int l = 0; l < full_layers; l++) {
    layer_forward(l, ws.hidden[l], ws.hidden[l + 1], opts);
    if (opts.on_layer_output) opts.on_layer_output(l, ws.hidden[l + 1], ws.T);
  }
  if (!cls_rows) return ws.hidden[L];
  const float* x = ws.hidden[full_layers];
  for (int b = 0; b < ws.B; b++) std::copy_n(x + static_cast<int64_t>(tokens.offsets[b]) * H, H, ws.cls_in + b * H);
  if (L == 0) return ws.cls_in;
  cls_layer_forward(L - 1, x, ws.cls, opts);
  if (opts.on_layer_output) opts.on_layer_output(L - 1, ws.cls, ws.B);
  return ws.cls;
}

// word + token type + position embeddings, LayerNorm, dropout, and ELECTRA's projection: hidden[0].
void Encoder::embed_forward(const ModelParams& params, const StepOptions& opts) {
  const ModelConfig& c = config_;
  Workspace& ws = *ws_;
  const PackedTokens& tokens = *ws.tokens;
  const int64_t T = ws.T, E = c.embedding_width();
  const int32_t pad = c.pad_token_id;
  // HF's position ids: 0, 1, ... per sequence, or (RoBERTa) pad_token_id + 1 onwards over the tokens
  // that are not padding, with pad_token_id for padding.
  const bool after_padding = c.arch().position_ids_after_padding;
  for (int b = 0; b < ws.B; b++) {
    int32_t next = after_padding ? pad + 1 : 0;
    for (int32_t t = tokens.offsets[b]; t < tokens.offsets[b + 1]; t++)
      ws.positions[t] = after_padding && tokens.ids[t] == pad ? pad : next++;
  }
  const int32_t* type_ids = c.has_token_types() ? tokens.type_ids.data() : nullptr;
  {
    OpScope scope(Op::Embeddings);
    if (ws.emb.sum)
      embeddings_forward_train(ws.emb_norm, ws.emb.sum, ws.emb.mean, ws.emb.rstd, tokens.ids.data(), type_ids,
                               ws.positions.data(), T, E, params.word_emb, params.type_emb, params.pos_emb,
                               params.emb_ln_w, params.emb_ln_b, c.layer_norm_eps);
    else
      embeddings_forward(ws.emb_norm, tokens.ids.data(), type_ids, ws.positions.data(), T, E, params.word_emb,
                         params.type_emb, params.pos_emb, params.emb_ln_w, params.emb_ln_b, c.layer_norm_eps);
  }
  dropout(ws.emb_norm, T * E, opts.hidden_dropout, opts.dropout_seed, kEmbeddingStream);
  if (params.emb_proj_w) ws.emb_project.forward(ws.hidden[0], {ws.emb_norm, ws.emb_norm_b}, T);
}

// Where a layer's attention finds its operands. All rows: queries, keys and values interleaved in
// qkv [T, 3H]. First token only (the last layer for a classifier): keys and values [T, 2H], then the
// queries [B, H]. The activations (qkv, qkv_b) and their gradients (d_qkv) share the layout.
struct Encoder::AttentionLayout {
  AttentionShape shape;
  int64_t queries_at, keys_at, query_rows;
};

Encoder::AttentionLayout Encoder::all_rows_attention() const {
  const Workspace& ws = *ws_;
  const int64_t H = config_.hidden_size;
  const PackedTokens& tokens = *ws.tokens;
  const AttentionShape shape{ws.B, config_.num_attention_heads, config_.head_size(), 3 * H, 3 * H,
                             tokens.offsets.data(), tokens.offsets.data(),
                             tokens.lengths.empty() ? nullptr : tokens.lengths.data()};
  return {shape, 0, H, ws.T};
}

Encoder::AttentionLayout Encoder::first_token_attention() const {
  const Workspace& ws = *ws_;
  const int64_t H = config_.hidden_size;
  const PackedTokens& tokens = *ws.tokens;
  const AttentionShape shape{ws.B, config_.num_attention_heads, config_.head_size(), H, 2 * H,
                             ws.cls_offsets.data(), tokens.offsets.data(),
                             tokens.lengths.empty() ? nullptr : tokens.lengths.data()};
  return {shape, ws.T * 2 * H, 0, ws.B};
}

// Layer l's attention into A.context: bf16 operands (bf16_attention_), or fp32 (inference without
// dropout has a kernel of its own).
void Encoder::attend(int l, const AttentionLayout& at, const StepOptions& opts) {
  Workspace& ws = *ws_;
  Workspace::Layer& A = ws.layers[l];
  const int64_t H = config_.hidden_size;
  const uint64_t stream = layer_stream(l, kAttentionProbs);
  OpScope scope(Op::Attention);
  if (bf16_attention_)
    attention_forward_train(A.context, A.qkv_b + at.queries_at, A.qkv_b + at.keys_at, A.qkv_b + at.keys_at + H,
                            at.shape, opts.attention_dropout, opts.dropout_seed, stream, ws.attention_scratch);
  else if (mode_ == EncoderMode::kTraining)
    attention_forward_train(A.context, A.qkv + at.queries_at, A.qkv + at.keys_at, A.qkv + at.keys_at + H, at.shape,
                            opts.attention_dropout, opts.dropout_seed, stream, ws.attention_scratch);
  else
    attention_forward(A.context, A.qkv + at.queries_at, A.qkv + at.keys_at, A.qkv + at.keys_at + H, at.shape,
                      ws.attention_scratch);
}

// Backward of attend: from ws.d_context to the query, key and value gradients in ws.d_qkv.
void Encoder::attend_backward(int l, const AttentionLayout& at, const StepOptions& opts) {
  Workspace& ws = *ws_;
  Workspace::Layer& A = ws.layers[l];
  const int64_t H = config_.hidden_size;
  float* dq = ws.d_qkv + at.queries_at;
  float* dk = ws.d_qkv + at.keys_at;
  const uint64_t stream = layer_stream(l, kAttentionProbs);
  if (precision_ == Precision::Bf16) {
    round_bf16(ws.grad_b, ws.d_context, at.query_rows * H);
    OpScope scope(Op::Attention);
    attention_backward(dq, dk, dk + H, ws.grad_b, A.qkv_b + at.queries_at, A.qkv_b + at.keys_at,
                       A.qkv_b + at.keys_at + H, at.shape, opts.attention_dropout, opts.dropout_seed, stream,
                       ws.attention_scratch);
  } else {
    OpScope scope(Op::Attention);
    attention_backward(dq, dk, dk + H, ws.d_context, A.qkv + at.queries_at, A.qkv + at.keys_at,
                       A.qkv + at.keys_at + H, at.shape, opts.attention_dropout, opts.dropout_seed, stream,
                       ws.attention_scratch);
  }
}

// One layer over all T tokens: x [T, H] in, y [T, H] out (y may be x in inference).
void Encoder::layer_forward(int l, const float* x, float* y, const StepOptions& opts) {
  const ModelConfig& c = config_;
  Workspace& ws = *ws_;
  Workspace::Layer& A = ws.layers[l];
  const int64_t T = ws.T, H = c.hidden_size;
  ws.dense[l].qkv.forward(A.qkv, {x, A.input_b}, T);
  if (bf16_attention_) round_bf16(A.qkv_b, A.qkv, T * 3 * H);
  attend(l, all_rows_attention(), opts);
  after_attention_forward(l, x, y, T, opts);
}

// The last layer when only each sequence's first token feeds the head: keys and values from every
// token of x [T, H], but queries, attention output, feed-forward and LayerNorms for the B first-token
// rows only (ws.cls_in, gathered by forward). y [B, H].
void Encoder::cls_layer_forward(int l, const float* x, float* y, const StepOptions& opts) {
  const ModelConfig& c = config_;
  Workspace& ws = *ws_;
  Workspace::Layer& A = ws.layers[l];
  const int64_t T = ws.T, B = ws.B, H = c.hidden_size;
  const AttentionLayout at = first_token_attention();
  ws.dense[l].key_value.forward(A.qkv + at.keys_at, {x, A.input_b}, T);
  ws.dense[l].query.forward(A.qkv + at.queries_at, {ws.cls_in, ws.cls_in_b}, B);
  if (bf16_attention_) round_bf16(A.qkv_b, A.qkv, T * 2 * H + B * H);
  attend(l, at, opts);
  after_attention_forward(l, ws.cls_in, y, B, opts);
}

// A layer after its attention, over `rows` rows: the attention output dense, Add & Norm with the
// layer input `residual`, the feed-forward block and its Add & Norm into y.
void Encoder::after_attention_forward(int l, const float* residual, float* y, int64_t rows, const StepOptions& opts) {
  const ModelConfig& c = config_;
  Workspace& ws = *ws_;
  Workspace::Layer& A = ws.layers[l];
  const LayerDense& D = ws.dense[l];
  const LayerParams& W = ws.params->layers[l];
  const int64_t H = c.hidden_size;
  D.attn_out.forward(ws.tmp, {A.context, A.context_b}, rows);
  if (c.arch().attention_output_dropout)
    dropout(ws.tmp, rows * H, opts.hidden_dropout, opts.dropout_seed, layer_stream(l, kAttentionOutput));
  add_norm(A.attn_norm, A.attn, ws.tmp, residual, W.attn_ln_w, W.attn_ln_b, rows, H, c.layer_norm_eps);
  D.ffn_in.forward(A.inter_pre, {A.attn_norm, A.attn_norm_b}, rows);
  D.ffn_out.forward(ws.tmp, activate(A.inter_pre, rows), rows);
  dropout(ws.tmp, rows * H, opts.hidden_dropout, opts.dropout_seed, layer_stream(l, kFfnOutput));
  add_norm(y, A.out, ws.tmp, A.attn_norm, W.out_ln_w, W.out_ln_b, rows, H, c.layer_norm_eps);
}

// The activation of inter_pre [rows, I], as the FFN output dense's operand: straight to bf16 in bf16
// mode (the backward pass recomputes it from inter_pre).
Operand Encoder::activate(const float* inter_pre, int64_t rows) {
  Workspace& ws = *ws_;
  const int64_t n = rows * config_.intermediate_size;
  OpScope scope(Op::Activation);
  if (precision_ == Precision::Bf16) {
    activation_forward(activation_, ws.act_b, inter_pre, n);
    return {nullptr, ws.act_b};
  }
  activation_forward(activation_, ws.act, inter_pre, n);
  return {ws.act, nullptr};
}

void Encoder::backward(const ModelParams& params, ModelParams& grads, const PackedTokens& tokens,
                       const StepOptions& opts) {
  if (mode_ != EncoderMode::kTraining) throw std::logic_error("Encoder::backward of an inference encoder");
  const ModelConfig& c = config_;
  Workspace& ws = *ws_;
  const int64_t H = c.hidden_size, T = ws.T;
  const int L = c.num_hidden_layers;
  const bool cls_rows = output_ == EncoderOutput::kClsRows;
  if (cls_rows && L == 0) {
    std::fill(ws.d_hidden, ws.d_hidden + T * H, 0.0f);
    for (int b = 0; b < ws.B; b++)
      std::copy_n(ws.dcls + b * H, H, ws.d_hidden + static_cast<int64_t>(tokens.offsets[b]) * H);
  }
  for (int l = L - 1; l >= 0; l--) {
    if (cls_rows && l == L - 1)
      cls_layer_backward(l, params, grads.layers[l], opts);
    else
      layer_backward(l, params, grads.layers[l], opts);
    if (opts.on_grads_final) opts.on_grads_final(grads.layers[l].qkv_w);  // the layer's first tensor
  }
  embed_backward(params, grads, tokens, opts);
  if (opts.on_grads_final) opts.on_grads_final(grads.data());
}

// Backward of layer_forward, from dLoss/d(output) in ws.d_hidden [T, H] to dLoss/d(input) in
// ws.d_hidden (overwritten), accumulating the layer's gradients.
void Encoder::layer_backward(int l, const ModelParams& params, LayerParams& G, const StepOptions& opts) {
  Workspace& ws = *ws_;
  Workspace::Layer& A = ws.layers[l];
  const int64_t T = ws.T;
  after_attention_backward(l, params, G, ws.d_hidden, ws.d_hidden, T, opts);
  attend_backward(l, all_rows_attention(), opts);
  ws.dense[l].qkv.backward(ws.d_hidden, 1.0f, G.qkv_w, G.qkv_b, ws.d_qkv, {ws.hidden[l], A.input_b}, T, ws.grad_b);
}

// Backward of cls_layer_forward, from ws.dcls [B, H] to ws.d_hidden [T, H] (overwritten).
void Encoder::cls_layer_backward(int l, const ModelParams& params, LayerParams& G, const StepOptions& opts) {
  const ModelConfig& c = config_;
  Workspace& ws = *ws_;
  Workspace::Layer& A = ws.layers[l];
  const LayerDense& D = ws.dense[l];
  const int64_t T = ws.T, B = ws.B, H = c.hidden_size;
  const PackedTokens& tokens = *ws.tokens;
  after_attention_backward(l, params, G, ws.dcls, ws.d_cls_in, B, opts);
  const AttentionLayout at = first_token_attention();
  attend_backward(l, at, opts);
  float* dkv = ws.d_qkv + at.keys_at;
  float* dq = ws.d_qkv + at.queries_at;
  // Keys and values from every row, queries from the first-token rows, plus the residual.
  const float* x = ws.hidden[l];  // fp32 mode only: bf16 mode reads A.input_b
  D.key_value.backward(ws.d_hidden, 0.0f, G.qkv_w + H * H, G.qkv_b + H, dkv, {x, A.input_b}, T, ws.grad_b);
  D.query.backward(ws.d_cls_q, 0.0f, G.qkv_w, G.qkv_b, dq, {ws.cls_in, ws.cls_in_b}, B, ws.grad_b);
  for (int b = 0; b < ws.B; b++) {
    float* row = ws.d_hidden + static_cast<int64_t>(tokens.offsets[b]) * H;
    for (int64_t i = 0; i < H; i++) row[i] += ws.d_cls_q[b * H + i] + ws.d_cls_in[b * H + i];
  }
}

// Backward of after_attention_forward, from d_out [rows, H] (dLoss/dy) to ws.d_context (dLoss/d the
// attention output) and d_residual [rows, H] (dLoss/d the layer input through the first residual,
// overwritten; may be d_out).
void Encoder::after_attention_backward(int l, const ModelParams& params, LayerParams& G, const float* d_out,
                                       float* d_residual, int64_t rows, const StepOptions& opts) {
  const ModelConfig& c = config_;
  Workspace& ws = *ws_;
  Workspace::Layer& A = ws.layers[l];
  const LayerDense& D = ws.dense[l];
  const LayerParams& W = params.layers[l];
  const int64_t H = c.hidden_size, I = c.intermediate_size;
  const uint64_t seed = opts.dropout_seed;
  {
    OpScope scope(Op::LayerNorm);
    residual_layernorm_backward(ws.d_tmp, ws.d_norm, G.out_ln_w, G.out_ln_b, d_out, A.out.sum, W.out_ln_w,
                                A.out.mean, A.out.rstd, rows, H);
  }
  dropout_grad(ws.d_tmp, rows * H, opts.hidden_dropout, seed, layer_stream(l, kFfnOutput));
  D.ffn_out.backward(ws.d_inter, 0.0f, G.out_w, G.out_b, ws.d_tmp, activate(A.inter_pre, rows), rows, ws.grad_b);
  {
    OpScope scope(Op::Activation);
    activation_backward(activation_, ws.d_inter, ws.d_inter, A.inter_pre, rows * I);
  }
  D.ffn_in.backward(ws.d_norm, 1.0f, G.inter_w, G.inter_b, ws.d_inter, {A.attn_norm, A.attn_norm_b}, rows, ws.grad_b);
  // First Add & Norm: the residual's gradient goes straight to the layer input.
  {
    OpScope scope(Op::LayerNorm);
    residual_layernorm_backward(ws.d_tmp, d_residual, G.attn_ln_w, G.attn_ln_b, ws.d_norm, A.attn.sum, W.attn_ln_w,
                                A.attn.mean, A.attn.rstd, rows, H);
  }
  if (c.arch().attention_output_dropout)
    dropout_grad(ws.d_tmp, rows * H, opts.hidden_dropout, seed, layer_stream(l, kAttentionOutput));
  D.attn_out.backward(ws.d_context, 0.0f, G.attn_out_w, G.attn_out_b, ws.d_tmp, {A.context, A.context_b}, rows,
                      ws.grad_b);
}

void Encoder::embed_backward(const ModelParams& params, ModelParams& grads, const PackedTokens& tokens,
                             const StepOptions& opts) {
  const ModelConfig& c = config_;
  Workspace& ws = *ws_;
  const int64_t T = ws.T, E = c.embedding_width();
  if (params.emb_proj_w)
    ws.emb_project.backward(ws.d_emb, 0.0f, grads.emb_proj_w, grads.emb_proj_b, ws.d_hidden,
                            {ws.emb_norm, ws.emb_norm_b}, T, ws.grad_b);
  dropout_grad(ws.d_emb, T * E, opts.hidden_dropout, opts.dropout_seed, kEmbeddingStream);
  OpScope scope(Op::Embeddings);
  embedding_touched_rows(tokens.ids.data(), T, c.pad_token_id, seen_.data(), touched_);
  embeddings_backward(grads.word_emb, grads.type_emb, c.sinusoidal_positions ? nullptr : grads.pos_emb,
                      grads.emb_ln_w, grads.emb_ln_b, ws.d_emb, ws.emb.sum, ws.emb.mean, ws.emb.rstd,
                      tokens.ids.data(), c.has_token_types() ? tokens.type_ids.data() : nullptr,
                      ws.positions.data(), T, E, params.emb_ln_w, c.pad_token_id,
                      c.arch().position_ids_after_padding ? c.pad_token_id : -1);
}

void Encoder::zero_grads(ModelParams& grads) {
  const int64_t E = config_.embedding_width();
  for (const TensorSpec& spec : grads.specs()) {
    float* data = grads.tensor(spec);
    if (data != grads.word_emb) {
      std::fill(data, data + spec.numel, 0.0f);
      continue;
    }
    for (int32_t row : touched_) std::fill(data + row * E, data + (row + 1) * E, 0.0f);
  }
  forget_touched_rows();
}

void Encoder::add_touched_rows(std::span<const int32_t> rows) {
  embedding_touched_rows(rows.data(), static_cast<int64_t>(rows.size()), config_.pad_token_id, seen_.data(), touched_);
}

void Encoder::forget_touched_rows() {
  for (int32_t row : touched_) seen_[row] = 0;
  touched_.clear();
}

}  // namespace bertft
