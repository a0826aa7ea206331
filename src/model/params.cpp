#include "model/params.h"

namespace bertft {

namespace {

struct Layout {
  std::vector<TensorSpec> specs;
  size_t total = 0;
  void add(std::string name, std::vector<int64_t> shape) {
    size_t n = 1;
    for (int64_t d : shape) n *= static_cast<size_t>(d);
    specs.push_back({std::move(name), std::move(shape), total, n});
    total += n;
  }
};

}  // namespace

std::vector<TensorSpec> param_specs(const ModelConfig& c, const Heads& heads) {
  const int64_t H = c.hidden_size, I = c.intermediate_size;
  Layout l;
  l.add("bert.embeddings.word_embeddings.weight", {c.vocab_size, H});
  l.add("bert.embeddings.position_embeddings.weight", {c.max_position_embeddings, H});
  l.add("bert.embeddings.token_type_embeddings.weight", {c.type_vocab_size, H});
  l.add("bert.embeddings.LayerNorm.weight", {H});
  l.add("bert.embeddings.LayerNorm.bias", {H});
  for (int i = 0; i < c.num_hidden_layers; i++) {
    const std::string p = "bert.encoder.layer." + std::to_string(i) + ".";
    for (const char* m : {"query", "key", "value"}) l.add(p + "attention.self." + m + ".weight", {H, H});
    for (const char* m : {"query", "key", "value"}) l.add(p + "attention.self." + m + ".bias", {H});
    l.add(p + "attention.output.dense.weight", {H, H});
    l.add(p + "attention.output.dense.bias", {H});
    l.add(p + "attention.output.LayerNorm.weight", {H});
    l.add(p + "attention.output.LayerNorm.bias", {H});
    l.add(p + "intermediate.dense.weight", {I, H});
    l.add(p + "intermediate.dense.bias", {I});
    l.add(p + "output.dense.weight", {H, I});
    l.add(p + "output.dense.bias", {H});
    l.add(p + "output.LayerNorm.weight", {H});
    l.add(p + "output.LayerNorm.bias", {H});
  }
  if (heads.pooler) {
    l.add("bert.pooler.dense.weight", {H, H});
    l.add("bert.pooler.dense.bias", {H});
  }
  if (heads.classifier) {
    l.add("classifier.weight", {c.num_labels(), H});
    l.add("classifier.bias", {c.num_labels()});
  }
  if (heads.mlm) {
    l.add("cls.predictions.transform.dense.weight", {H, H});
    l.add("cls.predictions.transform.dense.bias", {H});
    l.add("cls.predictions.transform.LayerNorm.weight", {H});
    l.add("cls.predictions.transform.LayerNorm.bias", {H});
    l.add("cls.predictions.bias", {c.vocab_size});
  }
  return std::move(l.specs);
}

ModelParams::ModelParams(const ModelConfig& c, Heads heads) : heads_(heads), specs_(param_specs(c, heads)) {
  for (size_t i = 0; i < specs_.size(); i++) index_.emplace(specs_[i].name, i);
  storage_.assign(specs_.back().offset + specs_.back().numel, 0.0f);

  auto at = [&](const std::string& name) { return tensor(*find(name)); };
  word_emb = at("bert.embeddings.word_embeddings.weight");
  pos_emb = at("bert.embeddings.position_embeddings.weight");
  type_emb = at("bert.embeddings.token_type_embeddings.weight");
  emb_ln_w = at("bert.embeddings.LayerNorm.weight");
  emb_ln_b = at("bert.embeddings.LayerNorm.bias");
  layers.resize(c.num_hidden_layers);
  for (int i = 0; i < c.num_hidden_layers; i++) {
    const std::string p = "bert.encoder.layer." + std::to_string(i) + ".";
    LayerParams& L = layers[i];
    L.qkv_w = at(p + "attention.self.query.weight");
    L.qkv_b = at(p + "attention.self.query.bias");
    L.attn_out_w = at(p + "attention.output.dense.weight");
    L.attn_out_b = at(p + "attention.output.dense.bias");
    L.attn_ln_w = at(p + "attention.output.LayerNorm.weight");
    L.attn_ln_b = at(p + "attention.output.LayerNorm.bias");
    L.inter_w = at(p + "intermediate.dense.weight");
    L.inter_b = at(p + "intermediate.dense.bias");
    L.out_w = at(p + "output.dense.weight");
    L.out_b = at(p + "output.dense.bias");
    L.out_ln_w = at(p + "output.LayerNorm.weight");
    L.out_ln_b = at(p + "output.LayerNorm.bias");
  }
  if (heads.pooler) {
    pool_w = at("bert.pooler.dense.weight");
    pool_b = at("bert.pooler.dense.bias");
  }
  if (heads.classifier) {
    cls_w = at("classifier.weight");
    cls_b = at("classifier.bias");
  }
  if (heads.mlm) {
    mlm_dense_w = at("cls.predictions.transform.dense.weight");
    mlm_dense_b = at("cls.predictions.transform.dense.bias");
    mlm_ln_w = at("cls.predictions.transform.LayerNorm.weight");
    mlm_ln_b = at("cls.predictions.transform.LayerNorm.bias");
    mlm_bias = at("cls.predictions.bias");
  }
}

const TensorSpec* ModelParams::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &specs_[it->second];
}

}  // namespace bertft
