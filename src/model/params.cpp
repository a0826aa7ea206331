#include "model/params.h"

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
  add_range(Slot::HeadDenseWeight, Slot::LmBias, -1);
  return specs;
}

ModelParams::ModelParams(const ModelConfig& c, Heads heads) : heads_(heads), specs_(param_specs(c, heads)) {
  for (size_t i = 0; i < specs_.size(); i++) index_.emplace(specs_[i].name, i);
  storage_.assign(specs_.back().offset + specs_.back().numel, 0.0f);
  layers.resize(c.num_hidden_layers);
  for (const TensorSpec& spec : specs_) {
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

}  // namespace bertft
