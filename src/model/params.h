#pragma once
// All fp32 parameters of a model live in one allocation; named views point into it. The tensors and
// their checkpoint names come from the family's architecture table (model/architecture.h).
// Layout order matters for speed: per layer, query/key/value weights are adjacent so they form one
// [3H, H] matrix (and their biases one [3H] vector), letting attention run a single fused GEMM. The
// heads come last, so data-parallel training can sum their gradients first.
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/config.h"

namespace bertft {

// Which heads a model carries besides the encoder.
struct Heads {
  bool pooler = true;      // BERT's pooler (the classification head's dense) without the classifier
  bool classifier = true;  // the classification head on the first token
  bool mlm = false;        // the masked-LM head (decoder weight tied to the word embeddings)
};

struct TensorSpec {
  std::string name;             // Hugging Face name, e.g. "bert.encoder.layer.0.attention.self.query.weight"
  std::vector<int64_t> shape;   // PyTorch shape: Linear weights are [out_features, in_features]
  size_t offset = 0;            // in floats, into ModelParams::data
  size_t numel = 0;
  Slot slot = Slot::WordEmbeddings;
  int layer = -1;               // layer slots only
  Role role = Role::Matrix;
  bool fixed = false;           // never trained (DistilBERT's sinusoidal positions)
};

struct LayerParams {
  float *qkv_w, *qkv_b;            // [3H, H], [3H]: query rows, then key rows, then value rows
  float *attn_out_w, *attn_out_b;  // [H, H], [H]
  float *attn_ln_w, *attn_ln_b;    // [H]
  float *inter_w, *inter_b;        // [I, H], [I]
  float *out_w, *out_b;            // [H, I], [H]
  float *out_ln_w, *out_ln_b;      // [H]
};

// The tensors of a model with this config and heads, laid out as ModelParams lays them out. Allocates
// no parameters: a checkpoint is checked against these before the model is allocated.
std::vector<TensorSpec> param_specs(const ModelConfig& config, const Heads& heads);

class ModelParams {
 public:
  ModelParams() = default;
  ModelParams(const ModelConfig& config, Heads heads);  // zero-filled
  ModelParams(ModelParams&&) = default;
  ModelParams& operator=(ModelParams&&) = default;

  const std::vector<TensorSpec>& specs() const { return specs_; }
  const TensorSpec* find(const std::string& name) const;  // nullptr if absent
  const TensorSpec* find(Slot slot, int layer = -1) const;
  float* data() { return storage_.data(); }
  const float* data() const { return storage_.data(); }
  size_t size() const { return storage_.size(); }
  float* tensor(const TensorSpec& spec) { return storage_.data() + spec.offset; }
  const float* tensor(const TensorSpec& spec) const { return storage_.data() + spec.offset; }
  const Heads& heads() const { return heads_; }

  // E = embedding width (hidden_size but for ELECTRA), H = hidden_size.
  float *word_emb = nullptr, *pos_emb = nullptr;   // [V, E], [P, E]
  float* type_emb = nullptr;                       // [TV, E]; nullptr without token types
  float *emb_ln_w = nullptr, *emb_ln_b = nullptr;  // [E]
  float *emb_proj_w = nullptr, *emb_proj_b = nullptr;  // [H, E], [H]; nullptr when E == H
  std::vector<LayerParams> layers;
  // Classification head: dense [H, H] (BERT's pooler), out [num_labels, H].
  float *head_dense_w = nullptr, *head_dense_b = nullptr, *head_out_w = nullptr, *head_out_b = nullptr;
  // Masked-LM head: transform dense [E, H] + activation + LayerNorm [E], then decoder (= word_emb^T) + bias [V].
  float *mlm_dense_w = nullptr, *mlm_dense_b = nullptr, *mlm_ln_w = nullptr, *mlm_ln_b = nullptr,
        *mlm_bias = nullptr;

 private:
  Heads heads_;
  std::vector<TensorSpec> specs_;
  std::unordered_map<std::string, size_t> index_;  // name -> position in specs_
  std::vector<float> storage_;
};

}  // namespace bertft
