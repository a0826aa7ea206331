#pragma once
// All fp32 parameters of a BERT model live in one allocation; named views point into it.
// Layout order matters for speed: per layer, query/key/value weights are adjacent so they form one
// [3H, H] matrix (and their biases one [3H] vector), letting attention run a single fused GEMM.
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/config.h"

namespace bertft {

// Which heads a model carries besides the encoder.
struct Heads {
  bool pooler = true;      // bert.pooler.dense
  bool classifier = true;  // classifier.{weight,bias}: [num_labels, H]
  bool mlm = false;        // cls.predictions.* (decoder weight tied to word embeddings)
};

struct TensorSpec {
  std::string name;             // Hugging Face name, e.g. "bert.encoder.layer.0.attention.self.query.weight"
  std::vector<int64_t> shape;   // PyTorch shape: Linear weights are [out_features, in_features]
  size_t offset = 0;            // in floats, into ModelParams::data
  size_t numel = 0;
};

struct LayerParams {
  float *qkv_w, *qkv_b;      // [3H, H], [3H]: query rows, then key rows, then value rows
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
  float* data() { return storage_.data(); }
  const float* data() const { return storage_.data(); }
  size_t size() const { return storage_.size(); }
  float* tensor(const TensorSpec& spec) { return storage_.data() + spec.offset; }
  const Heads& heads() const { return heads_; }

  float *word_emb = nullptr, *pos_emb = nullptr, *type_emb = nullptr;  // [V,H], [P,H], [TV,H]
  float *emb_ln_w = nullptr, *emb_ln_b = nullptr;                      // [H]
  std::vector<LayerParams> layers;
  float *pool_w = nullptr, *pool_b = nullptr;  // [H, H], [H]
  float *cls_w = nullptr, *cls_b = nullptr;    // [num_labels, H], [num_labels]
  // Masked-LM head: transform dense + GELU + LayerNorm, then decoder (= word_emb^T) + bias.
  float *mlm_dense_w = nullptr, *mlm_dense_b = nullptr, *mlm_ln_w = nullptr, *mlm_ln_b = nullptr,
        *mlm_bias = nullptr;

 private:
  Heads heads_;
  std::vector<TensorSpec> specs_;
  std::unordered_map<std::string, size_t> index_;  // name -> position in specs_
  std::vector<float> storage_;
};

}  // namespace bertft
