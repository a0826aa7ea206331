#pragma once
// All fp32 parameters of a model live in one allocation; named views point into it. The tensors and
// their checkpoint names come from the family's architecture table (model/architecture.h).
// Layout order matters for speed: per layer, query/key/value weights are adjacent so they form one
// [3H, H] matrix (and their biases one [3H] vector), letting attention run a single fused GEMM. The
// heads come last, so data-parallel training can sum their gradients first.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
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
  bool discriminator = false;  // ELECTRA's replaced-token detection head
};

// ELECTRA's generator: a masked LM alone.
inline constexpr Heads kGeneratorHeads{.pooler = false, .classifier = false, .mlm = true};
// The names of a generator's own tensors in a joint model (ModelParams' generator constructor).
inline constexpr const char* kGeneratorPrefix = "generator/";

struct TensorSpec {
  std::string name;             // Hugging Face name, e.g. "bert.encoder.layer.0.attention.self.query.weight"
  std::vector<int64_t> shape;   // PyTorch shape: Linear weights are [out_features, in_features]
  size_t offset = 0;            // in floats, into ModelParams::data (a generator view: into its joint model's)
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
  // ELECTRA pretraining (training/electra_step.h): a discriminator (config, heads) and a generator (a
  // masked LM of generator_config) in one zero-filled allocation, so that one optimizer, gradient sum
  // and checkpoint cover both. As in Clark et al. 2020, the generator shares the discriminator's
  // embeddings (word, position and token-type tables and their LayerNorm; the widths must agree). Its
  // own tensors follow the discriminator's, named kGeneratorPrefix + their ElectraForMaskedLM name.
  // generator() views them, with the shared embeddings, as a model of their own.
  ModelParams(const ModelConfig& config, Heads heads, const ModelConfig& generator_config);
  ModelParams(ModelParams&&) = default;
  ModelParams& operator=(ModelParams&&) = default;

  // The generator's view of a joint model (nullptr in any other): its specs carry their
  // ElectraForMaskedLM names; data() and size() span its own tensors only, which end the joint array,
  // so that a gradient "final from here to the end" (StepOptions::on_grads_final) stays true of it.
  ModelParams* generator() { return generator_.get(); }
  const ModelParams* generator() const { return generator_.get(); }

  const std::vector<TensorSpec>& specs() const { return specs_; }
  const TensorSpec* find(const std::string& name) const;  // nullptr if absent
  const TensorSpec* find(Slot slot, int layer = -1) const;
  float* data() { return base_ + begin_; }
  const float* data() const { return base_ + begin_; }
  size_t size() const { return end_ - begin_; }
  float* tensor(const TensorSpec& spec) { return base_ + spec.offset; }
  const float* tensor(const TensorSpec& spec) const { return base_ + spec.offset; }
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
  // Replaced-token detection head: dense [H, H], out [1, H].
  float *disc_dense_w = nullptr, *disc_dense_b = nullptr, *disc_out_w = nullptr, *disc_out_b = nullptr;

 private:
  // A generator view over a joint model's array `base`: its own tensors are [begin, end).
  ModelParams(std::vector<TensorSpec> specs, Heads heads, int layers, float* base, size_t begin, size_t end);
  // Points the named views at the tensors of `specs`.
  void bind(std::span<const TensorSpec> specs, int layers);

  Heads heads_;
  std::vector<TensorSpec> specs_;
  std::unordered_map<std::string, size_t> index_;  // name -> position in specs_
  std::vector<float> storage_;                     // empty in a view
  float* base_ = nullptr;                          // what offsets count from
  size_t begin_ = 0, end_ = 0;                     // data() and size()
  std::unique_ptr<ModelParams> generator_;
};

// Copies the tensors `from` and `to` both have, by name, from one to the other: a joint model and its
// discriminator or generator saved apart. The tensors of one must all be in the other; throws
// std::logic_error if not, or for a tensor shaped otherwise.
void copy_tensors(const ModelParams& from, ModelParams& to);

}  // namespace bertft
