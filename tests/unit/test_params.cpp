#include <gtest/gtest.h>

#include <algorithm>

#include "model/params.h"
#include "test_util.h"

namespace bertft {

TEST(Params, QkvWeightsAreOneContiguousMatrix) {
  ModelParams p(test::tiny_config(), Heads{});
  for (int i = 0; i < 2; i++) {
    const std::string pre = "bert.encoder.layer." + std::to_string(i) + ".attention.self.";
    EXPECT_EQ(p.layers[i].qkv_w + 64, p.tensor(*p.find(pre + "key.weight")));
    EXPECT_EQ(p.layers[i].qkv_w + 128, p.tensor(*p.find(pre + "value.weight")));
    EXPECT_EQ(p.layers[i].qkv_b + 8, p.tensor(*p.find(pre + "key.bias")));
    EXPECT_EQ(p.layers[i].qkv_b + 16, p.tensor(*p.find(pre + "value.bias")));
  }
  size_t total = 0;
  for (const TensorSpec& s : p.specs()) total += s.numel;
  EXPECT_EQ(total, p.size());
  EXPECT_EQ(p.find("cls.predictions.bias"), nullptr);
  ASSERT_NE(p.find("classifier.weight"), nullptr);
  EXPECT_EQ(p.find("classifier.weight")->shape, (std::vector<int64_t>{2, 8}));
}

namespace {

ModelConfig small(Family family) {
  ModelConfig c = default_config(family);
  c.vocab_size = 50, c.hidden_size = 8, c.num_attention_heads = 2, c.intermediate_size = 16;
  c.num_hidden_layers = 2, c.max_position_embeddings = 16;
  if (family == Family::Electra) c.embedding_size = 4;
  return c;
}

std::vector<std::string> names(const ModelConfig& c, Heads heads) {
  std::vector<std::string> out;
  for (const TensorSpec& s : param_specs(c, heads)) out.push_back(s.name);
  return out;
}

bool has(const std::vector<std::string>& all, const std::string& name) {
  return std::find(all.begin(), all.end(), name) != all.end();
}

}  // namespace

// The names of HF's modeling files (DistilBertForSequenceClassification, RobertaForMaskedLM, ...).
TEST(Params, EachFamilyHasHuggingFaceNames) {
  const Heads classifier{.pooler = true, .classifier = true, .mlm = false};
  const Heads masked_lm{.pooler = false, .classifier = false, .mlm = true};
  auto distil = names(small(Family::DistilBert), classifier);
  for (const char* n : {"distilbert.embeddings.word_embeddings.weight", "distilbert.embeddings.position_embeddings.weight",
                        "distilbert.embeddings.LayerNorm.weight", "distilbert.transformer.layer.1.attention.q_lin.weight",
                        "distilbert.transformer.layer.0.attention.out_lin.bias",
                        "distilbert.transformer.layer.1.sa_layer_norm.weight", "distilbert.transformer.layer.0.ffn.lin1.weight",
                        "distilbert.transformer.layer.1.ffn.lin2.bias", "distilbert.transformer.layer.1.output_layer_norm.bias",
                        "pre_classifier.weight", "classifier.bias"})
    EXPECT_TRUE(has(distil, n)) << n;
  EXPECT_EQ(distil.size(), 4u + 2 * 16 + 4);  // no token types, no pooler
  auto distil_mlm = names(small(Family::DistilBert), masked_lm);
  for (const char* n : {"vocab_transform.weight", "vocab_layer_norm.bias", "vocab_projector.bias"})
    EXPECT_TRUE(has(distil_mlm, n)) << n;

  auto roberta = names(small(Family::Roberta), classifier);
  for (const char* n : {"roberta.embeddings.token_type_embeddings.weight",
                        "roberta.encoder.layer.1.attention.self.value.bias", "classifier.dense.weight",
                        "classifier.out_proj.bias"})
    EXPECT_TRUE(has(roberta, n)) << n;
  EXPECT_FALSE(has(roberta, "roberta.pooler.dense.weight"));
  auto roberta_mlm = names(small(Family::Roberta), masked_lm);
  for (const char* n : {"lm_head.dense.weight", "lm_head.layer_norm.weight", "lm_head.bias"})
    EXPECT_TRUE(has(roberta_mlm, n)) << n;

  const ModelConfig electra = small(Family::Electra);
  const std::vector<TensorSpec> specs = param_specs(electra, classifier);
  auto shape_of = [&](const std::string& name) {
    for (const TensorSpec& s : specs)
      if (s.name == name) return s.shape;
    return std::vector<int64_t>{};
  };
  EXPECT_EQ(shape_of("electra.embeddings.word_embeddings.weight"), (std::vector<int64_t>{50, 4}));
  EXPECT_EQ(shape_of("electra.embeddings_project.weight"), (std::vector<int64_t>{8, 4}));
  EXPECT_EQ(shape_of("classifier.out_proj.weight"), (std::vector<int64_t>{2, 8}));
  auto generator = param_specs(electra, masked_lm);
  EXPECT_EQ(generator.back().name, "generator_lm_head.bias");
  EXPECT_EQ(generator[generator.size() - 5].shape, (std::vector<int64_t>{4, 8}));  // generator_predictions.dense
}

TEST(Params, ViewsCoverEverySlotTheFamilyHas) {
  for (Family family : {Family::Bert, Family::DistilBert, Family::Roberta, Family::Electra}) {
    const ModelConfig c = small(family);
    const ModelParams p(c, Heads{.pooler = true, .classifier = true, .mlm = true});
    EXPECT_NE(p.word_emb, nullptr);
    EXPECT_EQ(p.type_emb != nullptr, c.has_token_types());
    EXPECT_EQ(p.emb_proj_w != nullptr, family == Family::Electra);
    EXPECT_NE(p.head_dense_w, nullptr);
    EXPECT_NE(p.mlm_bias, nullptr);
    EXPECT_EQ(p.layers[1].qkv_w + 8 * 8, p.tensor(*p.find(Slot::KeyWeight, 1)));
  }
}

}  // namespace bertft
