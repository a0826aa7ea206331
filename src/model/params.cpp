#include "model/params.h"

#include <algorithm>
#include <stdexcept>

namespace bertft {

namespace {

std::vector<int64_t> slot_shape(Slot slot, const ModelConfig& c) {
  const int64_t H = c.hidden_size, E = c.embedding_width(), I = c.intermediate_size, V = c.vocab_size;
  switch (slot) {
    case Slot::WordEmbeddings: return {V, E};
    case Slot::PositionEmbeddings: return {c.max_position_embeddings, E};
    case Slot::TokenTypeEmbeddings: return {c.type_vocab_size, E};
    case Slot::EmbeddingsNormWeight: case Slot::EmbeddingsNormBias: return {E};
    case Slot::EmbeddingsProjectWeight: return {H, E};
    case Slot::QueryWeight: case Slot::KeyWeight: case Slot::ValueWeight: case Slot::AttentionOutWeight:
    case Slot::HeadDenseWeight:
      return {H, H};
    case Slot::FfnInWeight: return {I, H};
    case Slot::FfnInBias: return {I};
    case Slot::FfnOutWeight: return {H, I};
    case Slot::HeadOutWeight: return {c.num_labels(), H};
    case Slot::DiscriminatorDenseWeight: return {H, H};
    case Slot::DiscriminatorOutWeight: return {1, H};
    case Slot::DiscriminatorOutBias: return {1};
    case Slot::HeadOutBias: return {c.num_labels()};
    case Slot::LmDenseWeight: return {E, H};
    case Slot::LmDenseBias: case Slot::LmNormWeight: case Slot::LmNormBias: return {E};
    case Slot::LmBias: return {V};
    default: return {H};  // the layers' biases and LayerNorms, the projection's and the head dense's bias
  }
}

bool model_has(Slot slot, const ModelConfig& c, const Heads& heads) {
  const Architecture& arch = c.arch();
  if (!arch.names[static_cast<int>(slot)]) return false;
  switch (slot) {
    case Slot::EmbeddingsProjectWeight: case Slot::EmbeddingsProjectBias:
      return c.embedding_width() != c.hidden_size;
    case Slot::HeadDenseWeight: case Slot::HeadDenseBias:
      return heads.classifier || (heads.pooler && arch.head_dense_in_base);
    case Slot::HeadOutWeight: case Slot::HeadOutBias:
      return heads.classifier;
    case Slot::LmDenseWeight: case Slot::LmDenseBias: case Slot::LmNormWeight: case Slot::LmNormBias:
    case Slot::LmBias:
      return heads.mlm;
    case Slot::DiscriminatorDenseWeight: case Slot::DiscriminatorDenseBias: case Slot::DiscriminatorOutWeight:
    case Slot::DiscriminatorOutBias:
      return heads.discriminator;
    default:
      return true;
  }
}

}  // namespace

std::vector<TensorSpec> param_specs(const ModelConfig& c, const Heads& heads) {
  const Architecture& arch = c.arch();
  std::vector<TensorSpec> specs;
  size_t total = 0;
  auto add = [&](Slot slot, int layer) {
    TensorSpec spec{tensor_name(arch, slot, layer), slot_shape(slot, c), total, 1, slot, layer, slot_role(slot),
                    slot == Slot::PositionEmbeddings && c.sinusoidal_positions};
    for (int64_t d : spec.shape) spec.numel *= static_cast<size_t>(d);
    total += spec.numel;
    specs.push_back(std::move(spec));
  };
  auto add_range = [&](Slot first, Slot last, int layer) {
    for (int s = static_cast<int>(first); s <= static_cast<int>(last); s++)
      if (model_has(static_cast<Slot>(s), c, heads)) add(static_cast<Slot>(s), layer);
  };
  add_range(Slot::WordEmbeddings, Slot::EmbeddingsProjectBias, -1);
  for (int l = 0; l < c.num_hidden_layers; l++) add_range(kFirstLayerSlot, kLastLayerSlot, l);
  add_range(Slot::HeadDenseWeight, Slot::DiscriminatorOutBias, -1);
  return specs;
}

ModelParams::ModelParams(const ModelConfig& c, Heads heads) : heads_(heads), specs_(param_specs(c, heads)) {
  for (size_t i = 0; i < specs_.size(); i++) index_.emplace(specs_[i].name, i);
  storage_.assign(specs_.back().offset + specs_.back().numel, 0.0f);
  base_ = storage_.data();
  end_ = storage_.size();
  bind(specs_, c.num_hidden_layers);
}

ModelParams::ModelParams(const ModelConfig& c, Heads heads, const ModelConfig& generator_config)
    : heads_(heads), specs_(param_specs(c, heads)) {
  const size_t own_specs = specs_.size();
  const size_t generator_begin = specs_.back().offset + specs_.back().numel;
  std::vector<TensorSpec> view = param_specs(generator_config, kGeneratorHeads);
  size_t total = generator_begin;
  for (TensorSpec& spec : view) {
    if (spec.slot <= Slot::EmbeddingsNormBias) {  // shared: the discriminator's tensor
      const TensorSpec* shared = find(spec.slot);
      if (!shared || shared->shape != spec.shape)
        throw std::logic_error("ModelParams: the generator's embeddings differ from the discriminator's");
      spec.offset = shared->offset;
      continue;
    }
    spec.offset = total;
    total += spec.numel;
    TensorSpec joint = spec;
    joint.name = kGeneratorPrefix + spec.name;
    specs_.push_back(std::move(joint));
  }
  for (size_t i = 0; i < specs_.size(); i++) index_.emplace(specs_[i].name, i);
  storage_.assign(total, 0.0f);
  base_ = storage_.data();
  end_ = total;
  bind(std::span(specs_).first(own_specs), c.num_hidden_layers);
  generator_.reset(new ModelParams(std::move(view), kGeneratorHeads, generator_config.num_hidden_layers, base_,
                                   generator_begin, total));
}

ModelParams::ModelParams(std::vector<TensorSpec> specs, Heads heads, int layers, float* base, size_t begin,
                         size_t end)
    : heads_(heads), specs_(std::move(specs)), base_(base), begin_(begin), end_(end) {
  for (size_t i = 0; i < specs_.size(); i++) index_.emplace(specs_[i].name, i);
  bind(specs_, layers);
}

void ModelParams::bind(std::span<const TensorSpec> specs, int num_layers) {
  layers.resize(num_layers);
  for (const TensorSpec& spec : specs) {
    float* p = tensor(spec);
    LayerParams* L = spec.layer >= 0 ? &layers[spec.layer] : nullptr;
    switch (spec.slot) {
      case Slot::WordEmbeddings: word_emb = p; break;
      case Slot::PositionEmbeddings: pos_emb = p; break;
      case Slot::TokenTypeEmbeddings: type_emb = p; break;
      case Slot::EmbeddingsNormWeight: emb_ln_w = p; break;
      case Slot::EmbeddingsNormBias: emb_ln_b = p; break;
      case Slot::EmbeddingsProjectWeight: emb_proj_w = p; break;
      case Slot::EmbeddingsProjectBias: emb_proj_b = p; break;
      case Slot::QueryWeight: L->qkv_w = p; break;
      case Slot::QueryBias: L->qkv_b = p; break;
      case Slot::AttentionOutWeight: L->attn_out_w = p; break;
      case Slot::AttentionOutBias: L->attn_out_b = p; break;
      case Slot::AttentionNormWeight: L->attn_ln_w = p; break;
      case Slot::AttentionNormBias: L->attn_ln_b = p; break;
      case Slot::FfnInWeight: L->inter_w = p; break;
      case Slot::FfnInBias: L->inter_b = p; break;
      case Slot::FfnOutWeight: L->out_w = p; break;
      case Slot::FfnOutBias: L->out_b = p; break;
      case Slot::FfnNormWeight: L->out_ln_w = p; break;
      case Slot::FfnNormBias: L->out_ln_b = p; break;
      case Slot::HeadDenseWeight: head_dense_w = p; break;
      case Slot::HeadDenseBias: head_dense_b = p; break;
      case Slot::HeadOutWeight: head_out_w = p; break;
      case Slot::HeadOutBias: head_out_b = p; break;
      case Slot::LmDenseWeight: mlm_dense_w = p; break;
      case Slot::LmDenseBias: mlm_dense_b = p; break;
      case Slot::LmNormWeight: mlm_ln_w = p; break;
      case Slot::LmNormBias: mlm_ln_b = p; break;
      case Slot::LmBias: mlm_bias = p; break;
      case Slot::DiscriminatorDenseWeight: disc_dense_w = p; break;
      case Slot::DiscriminatorDenseBias: disc_dense_b = p; break;
      case Slot::DiscriminatorOutWeight: disc_out_w = p; break;
      case Slot::DiscriminatorOutBias: disc_out_b = p; break;
      default: break;  // key and value: inside the fused query-key-value views
    }
  }
}

const TensorSpec* ModelParams::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &specs_[it->second];
}

const TensorSpec* ModelParams::find(Slot slot, int layer) const {
  for (const TensorSpec& spec : specs_)
    if (spec.slot == slot && spec.layer == layer) return &spec;
  return nullptr;
}

void copy_tensors(const ModelParams& from, ModelParams& to) {
  size_t copied = 0;
  for (const TensorSpec& spec : to.specs()) {
    const TensorSpec* source = from.find(spec.name);
    if (!source) continue;
    if (source->shape != spec.shape) throw std::logic_error("copy_tensors: " + spec.name + " is shaped otherwise");
    std::copy_n(from.tensor(*source), spec.numel, to.tensor(spec));
    copied++;
  }
  if (copied != std::min(from.specs().size(), to.specs().size()))
    throw std::logic_error("copy_tensors: neither model's tensors are all in the other");
}

}  // namespace bertft
