#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "common/error.h"
#include "common/io.h"
#include "model/safetensors.h"
#include "training/adamw.h"

#include "test_util.h"

namespace bertft {

namespace {

namespace fs = std::filesystem;

using test::tiny_config;

void fill_random(ModelParams& p, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  for (size_t i = 0; i < p.size(); i++) p.data()[i] = dist(rng);
}

struct TempFile {
  std::string path = (fs::temp_directory_path() / ("bertft-adamw-" + std::to_string(getpid()) + "-" +
                                                    std::to_string(counter++) + ".safetensors"))
                         .string();
  ~TempFile() { fs::remove(path); }
  static inline int counter = 0;
};

}  // namespace

// HF decides by module type (every LayerNorm whatever its name) and by the name ending in "bias".
TEST(AdamW, DecayGroupsFollowHfTrainer) {
  auto decayed = [](Family family, const std::string& name) {
    ModelConfig c = default_config(family);
    c.vocab_size = 50, c.hidden_size = 8, c.num_attention_heads = 2, c.intermediate_size = 16;
    c.num_hidden_layers = 2, c.max_position_embeddings = 16;
    if (family == Family::Electra) c.embedding_size = 4;
    const std::vector<TensorSpec> specs = param_specs(c, Heads{.pooler = true, .classifier = true, .mlm = true});
    for (const TensorSpec& s : specs)
      if (s.name == name) return is_weight_decayed(s.role);
    ADD_FAILURE() << "no tensor " << name;
    return false;
  };
  EXPECT_TRUE(decayed(Family::Bert, "bert.embeddings.word_embeddings.weight"));
  EXPECT_TRUE(decayed(Family::Bert, "bert.encoder.layer.0.attention.self.query.weight"));
  EXPECT_TRUE(decayed(Family::Bert, "classifier.weight"));
  EXPECT_FALSE(decayed(Family::Bert, "classifier.bias"));
  EXPECT_FALSE(decayed(Family::Bert, "bert.embeddings.LayerNorm.weight"));
  EXPECT_FALSE(decayed(Family::Bert, "bert.encoder.layer.1.output.LayerNorm.bias"));
  EXPECT_FALSE(decayed(Family::Bert, "cls.predictions.bias"));
  EXPECT_FALSE(decayed(Family::DistilBert, "distilbert.transformer.layer.1.sa_layer_norm.weight"));
  EXPECT_FALSE(decayed(Family::DistilBert, "distilbert.transformer.layer.0.output_layer_norm.weight"));
  EXPECT_FALSE(decayed(Family::DistilBert, "vocab_layer_norm.weight"));
  EXPECT_TRUE(decayed(Family::DistilBert, "pre_classifier.weight"));
  EXPECT_TRUE(decayed(Family::DistilBert, "distilbert.embeddings.position_embeddings.weight"));
  EXPECT_FALSE(decayed(Family::Roberta, "lm_head.layer_norm.weight"));
  EXPECT_TRUE(decayed(Family::Roberta, "classifier.out_proj.weight"));
  EXPECT_FALSE(decayed(Family::Roberta, "lm_head.bias"));
  EXPECT_TRUE(decayed(Family::Electra, "electra.embeddings_project.weight"));
  EXPECT_FALSE(decayed(Family::Electra, "generator_predictions.LayerNorm.weight"));
}

// The first step of Adam moves every element by ~lr * sign(g): m_hat = g, v_hat = g^2.
TEST(AdamW, FirstStepIsSignDescentPlusDecoupledDecay) {
  const ModelConfig c = tiny_config();
  ModelParams p(c, Heads{}), g(c, Heads{});
  fill_random(p, 1, 0.5f);
  fill_random(g, 2, 1.0f);
  std::vector<float> before(p.data(), p.data() + p.size());
  AdamW opt(p, {.weight_decay = 0.1, .freeze_encoder = false});
  const double lr = 1e-2;
  opt.step(p, g, lr);
  EXPECT_EQ(opt.steps_taken(), 1);
  for (const TensorSpec& s : p.specs()) {
    const double keep = is_weight_decayed(s.role) ? 1 - lr * 0.1 : 1.0;
    for (size_t i = s.offset; i < s.offset + s.numel; i++) {
      const double gi = g.data()[i];
      const double expected = before[i] * keep - lr * gi / (std::fabs(gi) + 1e-8);
      ASSERT_NEAR(p.data()[i], expected, 1e-6) << s.name;
    }
  }
}

// Several steps against a plain double-precision transcription of torch's AdamW.
TEST(AdamW, MatchesDoublePrecisionReference) {
  const ModelConfig c = tiny_config();
  ModelParams p(c, Heads{}), g(c, Heads{});
  fill_random(p, 3, 0.2f);
  const AdamWOptions o{.beta1 = 0.8, .beta2 = 0.99, .eps = 1e-6, .weight_decay = 0.05, .freeze_encoder = false};
  AdamW opt(p, o);
  std::vector<double> rp(p.data(), p.data() + p.size()), rm(p.size(), 0), rv(p.size(), 0);
  for (int t = 1; t <= 6; t++) {
    fill_random(g, 100 + t, 0.1f * t);
    const double lr = 1e-3 * t;
    opt.step(p, g, lr);
    for (const TensorSpec& s : p.specs()) {
      const double wd = is_weight_decayed(s.role) ? o.weight_decay : 0.0;
      for (size_t i = s.offset; i < s.offset + s.numel; i++) {
        const double gi = g.data()[i];
        rp[i] *= 1 - lr * wd;
        rm[i] = o.beta1 * rm[i] + (1 - o.beta1) * gi;
        rv[i] = o.beta2 * rv[i] + (1 - o.beta2) * gi * gi;
        const double denom = std::sqrt(rv[i]) / std::sqrt(1 - std::pow(o.beta2, t)) + o.eps;
        rp[i] -= lr / (1 - std::pow(o.beta1, t)) * rm[i] / denom;
      }
    }
  }
  for (size_t i = 0; i < p.size(); i++) {
    // fp32 rounding, relative to the scale of the values mixed in (m and v cancel towards 0).
    ASSERT_NEAR(p.data()[i], rp[i], 1e-6) << i;
    ASSERT_NEAR(opt.exp_avg()[i], rm[i], 1e-7) << i;
    ASSERT_NEAR(opt.exp_avg_sq()[i], rv[i], 1e-8) << i;
  }
}

TEST(AdamW, SaveLoadResumesBitExactly) {
  const ModelConfig c = tiny_config();
  ModelParams p(c, Heads{}), g(c, Heads{});
  fill_random(p, 5, 0.2f);
  AdamW a(p, {});
  for (int t = 0; t < 3; t++) {
    fill_random(g, 10 + t, 0.3f);
    a.step(p, g, 1e-3);
  }
  TempFile f;
  a.save(f.path);
  ModelParams q(c, Heads{});
  std::copy(p.data(), p.data() + p.size(), q.data());
  AdamW b(q, {});
  b.load(f.path);
  EXPECT_EQ(b.steps_taken(), 3);
  EXPECT_EQ(b.exp_avg(), a.exp_avg());
  EXPECT_EQ(b.exp_avg_sq(), a.exp_avg_sq());
  fill_random(g, 20, 0.3f);
  a.step(p, g, 5e-4);
  b.step(q, g, 5e-4);
  for (size_t i = 0; i < p.size(); i++) ASSERT_EQ(p.data()[i], q.data()[i]) << i;
}

TEST(AdamW, LoadRejectsAStateOfAnotherModel) {
  ModelParams small(tiny_config(1), Heads{}), big(tiny_config(2), Heads{});
  TempFile f;
  AdamW(small, {}).save(f.path);
  AdamW opt(big, {});
  try {
    opt.load(f.path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(f.path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("parameters"), std::string::npos) << e.what();
  }
  EXPECT_EQ(opt.steps_taken(), 0);  // unchanged after a failed load

  // Right size, but saved for other tensor names / shapes: the layout hash catches it.
  TempFile g;
  const int64_t n = static_cast<int64_t>(big.size());
  std::vector<float> zeros(big.size(), 0.0f);
  write_safetensors(g.path, {{"exp_avg", {n}, zeros.data()}, {"exp_avg_sq", {n}, zeros.data()}}, DType::F32,
                    {{"step", "2"}, {"numel", std::to_string(n)}, {"layout", "0123456789abcdef"}});
  EXPECT_THROW(opt.load(g.path), Error);

  TempFile h;
  write_safetensors(h.path, {{"exp_avg", {n}, zeros.data()}}, DType::F32, {{"step", "2"}, {"numel", std::to_string(n)}});
  EXPECT_THROW(opt.load(h.path), Error);  // exp_avg_sq missing
  write_safetensors(h.path, {{"exp_avg", {n}, zeros.data()}, {"exp_avg_sq", {n}, zeros.data()}}, DType::F32,
                    {{"step", "-1"}, {"numel", std::to_string(n)}});
  EXPECT_THROW(opt.load(h.path), Error);  // bad step
  EXPECT_THROW(opt.load(h.path + ".absent"), Error);
}

}  // namespace bertft
