#include <gtest/gtest.h>

#include <algorithm>

#include "common/error.h"
#include "model/params.h"
#include "training/electra_step.h"
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

TEST(Params, JointElectraModelSharesTheEmbeddingsAndEndsWithTheGenerator) {
  const ModelConfig disc = small(Family::Electra);
  const ModelConfig gen = generator_config(disc, 0.25);
  EXPECT_EQ(gen.hidden_size, 2);
  EXPECT_EQ(gen.num_attention_heads, 1);
  EXPECT_EQ(gen.intermediate_size, 4);
  EXPECT_EQ(gen.embedding_width(), 4);
  // 0.7 of 8 wide and 2 heads: 6 wide (5.6) and 1 head (1.4) divide; 0.7 of 256 and 4 heads (179, 3) do not.
  EXPECT_EQ(generator_config(disc, 0.7).hidden_size, 6);
  ModelConfig wide = disc;
  wide.hidden_size = 256, wide.num_attention_heads = 4, wide.intermediate_size = 1024;
  EXPECT_THROW(generator_config(wide, 0.7), Error);
  const Heads discriminator{.pooler = false, .classifier = false, .mlm = false, .discriminator = true};
  ModelParams joint(disc, discriminator, gen);
  const std::vector<TensorSpec> disc_specs = param_specs(disc, discriminator);
  const size_t disc_size = disc_specs.back().offset + disc_specs.back().numel;
  // The discriminator first, under its own names; the replaced-token head last of it.
  EXPECT_EQ(disc_specs.back().name, "discriminator_predictions.dense_prediction.bias");
  EXPECT_EQ(joint.find("discriminator_predictions.dense_prediction.weight")->shape, (std::vector<int64_t>{1, 8}));
  EXPECT_EQ(joint.disc_out_w, joint.tensor(*joint.find("discriminator_predictions.dense_prediction.weight")));
  // Then the generator's own tensors, prefixed; none of the shared embeddings among them.
  ModelParams& view = *joint.generator();
  EXPECT_EQ(joint.find("generator/electra.embeddings.word_embeddings.weight"), nullptr);
  ASSERT_NE(joint.find("generator/electra.embeddings_project.weight"), nullptr);
  EXPECT_EQ(joint.find("generator/electra.embeddings_project.weight")->offset, disc_size);
  EXPECT_EQ(joint.specs().back().name, "generator/generator_lm_head.bias");
  size_t own = 0;
  for (const TensorSpec& spec : joint.specs())
    if (spec.name.starts_with(kGeneratorPrefix)) own += spec.numel;
  EXPECT_EQ(joint.size(), disc_size + own);
  // The view: its own tensors at the end of the array, the embeddings the discriminator's.
  EXPECT_EQ(view.data(), joint.data() + disc_size);
  EXPECT_EQ(view.size(), own);
  EXPECT_EQ(view.word_emb, joint.word_emb);
  EXPECT_EQ(view.pos_emb, joint.pos_emb);
  EXPECT_EQ(view.type_emb, joint.type_emb);
  EXPECT_EQ(view.emb_ln_b, joint.emb_ln_b);
  EXPECT_EQ(view.emb_proj_w, joint.data() + disc_size);
  EXPECT_NE(view.layers[0].qkv_w, joint.layers[0].qkv_w);
  EXPECT_EQ(view.find("electra.encoder.layer.1.intermediate.dense.weight")->shape, (std::vector<int64_t>{4, 2}));
  EXPECT_EQ(view.mlm_bias + 50, joint.data() + joint.size());
  EXPECT_EQ(view.heads().mlm, true);
  // Moving the joint model keeps the view on the same storage.
  const float* word = joint.word_emb;
  ModelParams moved = std::move(joint);
  EXPECT_EQ(moved.generator()->word_emb, word);
  // copy_tensors in both directions: a generator saved apart and read back.
  std::vector<float> values = test::random_vector(moved.size(), 3);
  std::copy(values.begin(), values.end(), moved.data());
  ModelParams alone(gen, kGeneratorHeads);
  copy_tensors(*moved.generator(), alone);
  EXPECT_TRUE(std::equal(moved.word_emb, moved.word_emb + 50 * 4, alone.word_emb));
  EXPECT_TRUE(std::equal(moved.generator()->data(), moved.generator()->data() + own, alone.emb_proj_w));
  ModelParams back(disc, discriminator, gen);
  copy_tensors(alone, *back.generator());
  EXPECT_TRUE(std::equal(back.generator()->data(), back.generator()->data() + own, moved.generator()->data()));
  EXPECT_THROW(copy_tensors(ModelParams(small(Family::Bert), Heads{}), back), std::logic_error);
}

}  // namespace bertft
