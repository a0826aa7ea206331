#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/io.h"
#include "model/checkpoint.h"
#include "common/float_convert.h"
#include "tokenizer/tokenizer.h"

#include "test_util.h"

namespace bertft {

namespace {

namespace fs = std::filesystem;

// pad_token_id 1: init must zero that row, not row 0.
ModelConfig tiny_config() {
  ModelConfig c = test::tiny_config();
  c.pad_token_id = 1;
  return c;
}

constexpr Heads kClassification{.pooler = true, .classifier = true, .mlm = false};
constexpr Heads kMaskedLM{.pooler = false, .classifier = false, .mlm = true};
constexpr Heads kBase{.pooler = true, .classifier = false, .mlm = false};

Model random_model(const ModelConfig& c, Heads heads, uint64_t seed = 7) {
  Model m{c, ModelParams(c, heads)};
  init_params(m.params, c, seed);
  // Non-trivial values everywhere, so a LayerNorm or bias loaded from the wrong place shows.
  for (size_t i = 0; i < m.params.size(); i++) m.params.data()[i] += 0.001f * static_cast<float>(i % 97);
  return m;
}

class TempDir {
 public:
  TempDir() {
    path_ = (fs::temp_directory_path() / ("bertft-ckpt-" + std::to_string(getpid()) + "-" + std::to_string(next_++)))
                .string();
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (fs::path(path_) / name).string(); }

 private:
  static inline int next_ = 0;
  std::string path_;
};

const float* tensor(const Model& m, const std::string& name) {
  const TensorSpec* s = m.params.find(name);
  EXPECT_NE(s, nullptr) << name;
  return m.params.data() + s->offset;
}

void expect_same_tensor(const Model& a, const Model& b, const std::string& name) {
  const TensorSpec* s = a.params.find(name);
  ASSERT_NE(s, nullptr) << name;
  EXPECT_EQ(std::memcmp(tensor(a, name), tensor(b, name), s->numel * 4), 0) << name;
}

LoadOptions with_heads(Heads heads, uint64_t seed = 42) {
  LoadOptions options;
  options.heads = heads;
  options.seed = seed;
  return options;
}

std::string load_error(const std::string& dir, LoadOptions options = {}) {
  try {
    load_model(dir, options, nullptr);
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    return e.what();
  }
  return "(no error)";
}

// Rewrites DIR/model.safetensors through `edit`, which receives the tensors by name (as f32).
void rewrite_weights(const Model& m, const std::string& dir,
                     const std::function<void(std::vector<TensorToWrite>&)>& edit) {
  std::vector<TensorToWrite> tensors;
  for (const TensorSpec& s : m.params.specs()) tensors.push_back({s.name, s.shape, m.params.data() + s.offset});
  edit(tensors);
  write_safetensors((fs::path(dir) / "model.safetensors").string(), tensors, DType::F32);
}

}  // namespace

TEST(Checkpoint, InitFollowsTransformersInitWeights) {
  ModelConfig c = tiny_config();
  c.vocab_size = 2000;
  c.hidden_size = 32;
  c.initializer_range = 0.05f;
  ModelParams p(c, Heads{.pooler = true, .classifier = true, .mlm = true});
  init_params(p, c, 123);
  const TensorSpec& word = *p.find("bert.embeddings.word_embeddings.weight");
  double sum = 0, sq = 0;
  size_t n = 0;
  for (size_t i = 0; i < word.numel; i++) {
    float v = p.data()[word.offset + i];
    if (i / 32 == 1) {
      EXPECT_EQ(v, 0.0f) << "padding row " << i;  // pad_token_id 1
      continue;
    }
    sum += v;
    sq += double(v) * v;
    n++;
  }
  double mean = sum / n, std = std::sqrt(sq / n - mean * mean);
  EXPECT_NEAR(mean, 0.0, 0.002);
  EXPECT_NEAR(std, 0.05, 0.001);
  for (const TensorSpec& s : p.specs()) {
    const float* v = p.data() + s.offset;
    if (s.name.ends_with("LayerNorm.weight")) {
      for (size_t i = 0; i < s.numel; i++) ASSERT_EQ(v[i], 1.0f) << s.name;
    } else if (s.name.ends_with("bias")) {
      for (size_t i = 0; i < s.numel; i++) ASSERT_EQ(v[i], 0.0f) << s.name;
    } else {
      double ss = 0;
      for (size_t i = 0; i < s.numel; i++) ss += double(v[i]) * v[i];
      EXPECT_NEAR(std::sqrt(ss / s.numel), 0.05, 0.02) << s.name;  // small tensors: loose
    }
  }
  // No padding row in the position / token type embeddings.
  EXPECT_NE(p.data()[p.find("bert.embeddings.position_embeddings.weight")->offset + 32], 0.0f);

  ModelParams again(c, p.heads()), other(c, p.heads());
  init_params(again, c, 123);
  init_params(other, c, 124);
  EXPECT_EQ(std::memcmp(p.data(), again.data(), p.size() * 4), 0);
  EXPECT_NE(std::memcmp(p.data(), other.data(), p.size() * 4), 0);
}

TEST(Checkpoint, SinusoidalPositionsShiftByRotation) {
  ModelConfig c;
  c.vocab_size = 50;
  c.hidden_size = 64;
  c.max_position_embeddings = 128;
  c.initializer_range = 0.02f;
  ModelParams p(c, Heads{});
  init_params(p, c, 1);
  init_sinusoidal_positions(p, c);
  const float* pos = p.pos_emb;
  double sq = 0;
  for (int64_t i = 0; i < 128 * 64; i++) sq += double(pos[i]) * pos[i];
  EXPECT_NEAR(std::sqrt(sq / (128 * 64)), 0.02, 0.002);
  // Dimensions 2i, 2i+1 are (sin, cos) of pos * 10000^(-2i/H): position pos + k is position pos
  // rotated by k times that frequency, the same rotation for every pos.
  const double scale = 0.02 * std::sqrt(2.0);
  for (int i = 0; i < 32; i++) {
    const double w = std::pow(10000.0, -2.0 * i / 64);
    EXPECT_NEAR(pos[2 * i], 0.0, 1e-9);
    EXPECT_NEAR(pos[2 * i + 1], scale, 1e-7);
    for (int k : {1, 5}) {
      for (int at : {3, 40, 100}) {
        const double s0 = pos[at * 64 + 2 * i], c0 = pos[at * 64 + 2 * i + 1];
        EXPECT_NEAR(pos[(at + k) * 64 + 2 * i], s0 * std::cos(k * w) + c0 * std::sin(k * w), 1e-6) << i << " " << at;
        EXPECT_NEAR(pos[(at + k) * 64 + 2 * i + 1], c0 * std::cos(k * w) - s0 * std::sin(k * w), 1e-6) << i << " " << at;
      }
    }
  }
}

TEST(Checkpoint, SaveLoadRoundTripInEveryDtype) {
  TempDir tmp;
  ModelConfig c = tiny_config();
  c.id2label = {"neg", "pos", "neutral"};
  Model m = random_model(c, kClassification);
  for (DType d : {DType::F32, DType::F16, DType::BF16}) {
    const std::string dir = tmp / safetensors_dtype_name(d);
    save_model(m, dir, d);
    std::vector<std::string> notices;
    Model back = load_model(dir, with_heads(kClassification), &notices);
    EXPECT_TRUE(notices.empty()) << notices.front();
    EXPECT_EQ(back.config.id2label, c.id2label);
    EXPECT_EQ(back.config.architectures, (std::vector<std::string>{"BertForSequenceClassification"}));
    EXPECT_EQ(back.config.extra["torch_dtype"], torch_dtype_name(d));
    ASSERT_EQ(back.params.size(), m.params.size());
    for (size_t i = 0; i < m.params.size(); i++) {
      float v = m.params.data()[i];
      float want = d == DType::F32 ? v : d == DType::F16 ? f16_to_f32(f32_to_f16(v)) : bf16_to_f32(f32_to_bf16(v));
      ASSERT_EQ(std::bit_cast<uint32_t>(back.params.data()[i]), std::bit_cast<uint32_t>(want)) << i;
    }
    SafetensorsFile file(dir + "/model.safetensors");
    EXPECT_EQ(file.reader().metadata().at("format"), "pt");
    EXPECT_EQ(file.reader().entries().size(), m.params.specs().size());
  }
}

TEST(Checkpoint, MaskedLMCheckpointGetsANewPoolerAndClassifierWithNotices) {
  TempDir tmp;
  Model mlm = random_model(tiny_config(), kMaskedLM);
  save_model(mlm, tmp.path());
  EXPECT_NE(read_file(tmp / "config.json").find("\"BertForMaskedLM\""), std::string::npos);
  LoadOptions as_saved;
  as_saved.heads_of_checkpoint = true;
  const Heads found = load_model(tmp.path(), as_saved, nullptr).params.heads();
  EXPECT_TRUE(found.mlm);
  EXPECT_FALSE(found.pooler);
  EXPECT_FALSE(found.classifier);

  std::vector<std::string> notices;
  Model m = load_model(tmp.path(), with_heads(kClassification, 5), &notices);
  ASSERT_EQ(notices.size(), 2u);
  EXPECT_EQ(notices[0], "Some weights of the model checkpoint at " + tmp.path() +
                            " were not used when initializing BertForSequenceClassification: "
                            "[cls.predictions.bias, cls.predictions.transform.LayerNorm.bias, "
                            "cls.predictions.transform.LayerNorm.weight, cls.predictions.transform.dense.bias, "
                            "cls.predictions.transform.dense.weight]");
  EXPECT_EQ(notices[1], "Some weights of BertForSequenceClassification were not initialized from the model "
                        "checkpoint at " + tmp.path() + " and are newly initialized: [bert.pooler.dense.bias, "
                        "bert.pooler.dense.weight, classifier.bias, classifier.weight]");
  for (const TensorSpec& s : mlm.params.specs())
    if (s.name.starts_with("bert.")) expect_same_tensor(mlm, m, s.name);
  // The new heads are what init_params gives for the same seed.
  ModelParams fresh(m.config, kClassification);
  init_params(fresh, m.config, 5);
  for (const char* name : {"classifier.weight", "classifier.bias", "bert.pooler.dense.weight"}) {
    const TensorSpec& s = *fresh.find(name);
    EXPECT_EQ(std::memcmp(fresh.data() + s.offset, tensor(m, name), s.numel * 4), 0) << name;
  }
}

TEST(Checkpoint, BaseModelCheckpointUsesUnprefixedNames) {
  TempDir tmp;
  Model base = random_model(tiny_config(), kBase);
  save_model(base, tmp.path(), DType::F32);
  SafetensorsFile file(tmp / "model.safetensors");
  EXPECT_NE(file.reader().find("embeddings.word_embeddings.weight"), nullptr);
  EXPECT_NE(file.reader().find("pooler.dense.bias"), nullptr);
  EXPECT_EQ(file.reader().find("bert.pooler.dense.bias"), nullptr);
  std::vector<std::string> notices;
  Model m = load_model(tmp.path(), with_heads(kClassification), &notices);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].find("newly initialized: [classifier.bias, classifier.weight]"), std::string::npos);
  expect_same_tensor(base, m, "bert.pooler.dense.weight");
  expect_same_tensor(base, m, "bert.encoder.layer.1.output.LayerNorm.bias");
}

TEST(Checkpoint, PreTrainingAndLegacyNamesLoad) {
  TempDir tmp;
  ModelConfig c = tiny_config();
  Model m = random_model(c, Heads{.pooler = true, .classifier = false, .mlm = true});
  save_model(m, tmp.path());
  std::vector<float> decoder(c.vocab_size * c.hidden_size), nsp(2 * c.hidden_size), ids(c.max_position_embeddings);
  rewrite_weights(m, tmp.path(), [&](std::vector<TensorToWrite>& t) {
    for (TensorToWrite& w : t) {  // TF-era LayerNorm names
      if (w.name.ends_with("LayerNorm.weight")) w.name.replace(w.name.size() - 6, 6, "gamma");
      if (w.name.ends_with("LayerNorm.bias")) w.name.replace(w.name.size() - 4, 4, "beta");
    }
    t.push_back({"cls.predictions.decoder.weight", {c.vocab_size, c.hidden_size}, decoder.data()});
    t.push_back({"cls.seq_relationship.weight", {2, c.hidden_size}, nsp.data()});
    t.push_back({"cls.seq_relationship.bias", {2}, nsp.data()});
    t.push_back({"bert.embeddings.position_ids", {1, c.max_position_embeddings}, ids.data()});
  });
  std::vector<std::string> notices;
  Model mlm = load_model(tmp.path(), with_heads({.pooler = true, .classifier = false, .mlm = true}), &notices);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].find("not used when initializing BertForMaskedLM: [cls.seq_relationship.bias, "
                            "cls.seq_relationship.weight]"),
            std::string::npos)
      << notices[0];
  for (const TensorSpec& s : m.params.specs()) expect_same_tensor(m, mlm, s.name);

  notices.clear();
  Model cls = load_model(tmp.path(), with_heads(kClassification), &notices);
  ASSERT_EQ(notices.size(), 2u);
  EXPECT_NE(notices[0].find("cls.predictions.decoder.weight"), std::string::npos);
  EXPECT_NE(notices[1].find("newly initialized: [classifier.bias, classifier.weight]"), std::string::npos);
  expect_same_tensor(m, cls, "bert.embeddings.LayerNorm.weight");
}

TEST(Checkpoint, MLMBiasUnderItsTiedDecoderName) {
  TempDir tmp;
  Model m = random_model(tiny_config(), kMaskedLM);
  save_model(m, tmp.path());
  rewrite_weights(m, tmp.path(), [](std::vector<TensorToWrite>& t) {
    for (TensorToWrite& w : t)
      if (w.name == "cls.predictions.bias") w.name = "cls.predictions.decoder.bias";
  });
  std::vector<std::string> notices;
  Model back = load_model(tmp.path(), with_heads(kMaskedLM), &notices);
  EXPECT_TRUE(notices.empty());
  expect_same_tensor(m, back, "cls.predictions.bias");
}

TEST(Checkpoint, ShapeAndPresenceErrorsNameTheTensor) {
  TempDir tmp;
  ModelConfig c = tiny_config();
  Model m = random_model(c, kClassification);
  save_model(m, tmp.path());
  const std::string weights = tmp / "model.safetensors";

  std::string config_text = read_file(tmp / "config.json");
  ModelConfig wider = c;
  wider.vocab_size = 41;
  write_file_atomic(tmp / "config.json", config_to_json(wider));
  EXPECT_EQ(load_error(tmp.path(), with_heads(kClassification)),
            weights + ": tensor 'bert.embeddings.word_embeddings.weight' has shape [40,8], config.json implies [41,8]");

  ModelConfig three = c;
  three.id2label = {"a", "b", "c"};
  write_file_atomic(tmp / "config.json", config_to_json(three));
  EXPECT_EQ(load_error(tmp.path(), with_heads(kClassification)),
            weights + ": tensor 'classifier.weight' has shape [2,8], config.json implies [3,8] (3 labels)");
  // ... unless the caller relabels on purpose, as HF's ignore_mismatched_sizes does.
  std::vector<std::string> notices;
  LoadOptions relabel = with_heads(kClassification);
  relabel.id2label = std::vector<std::string>{"x", "y", "z", "w"};
  Model relabelled = load_model(tmp.path(), relabel, &notices);
  EXPECT_EQ(relabelled.config.num_labels(), 4);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].find("because the shapes did not match: [classifier.weight: found shape [2,8] in the "
                            "checkpoint and [4,8] in the model instantiated, classifier.bias: found shape [2] "
                            "in the checkpoint and [4] in the model instantiated]"),
            std::string::npos)
      << notices[0];

  ModelConfig deeper = c;
  deeper.num_hidden_layers = 3;
  write_file_atomic(tmp / "config.json", config_to_json(deeper));
  EXPECT_EQ(load_error(tmp.path(), with_heads(kClassification)),
            weights + ": missing tensor 'bert.encoder.layer.2.attention.self.query.weight' and 15 more "
                      "(config.json: 3 layers, hidden_size 8)");
  write_file_atomic(tmp / "config.json", config_text);

  float x = 0;
  write_safetensors(weights, {{"gpt.wte", {1}, &x}}, DType::F32);
  EXPECT_EQ(load_error(tmp.path()), weights + ": no BERT encoder tensors found (expected names like "
                                              "'bert.embeddings.word_embeddings.weight'; config.json says "
                                              "model_type bert)");

  rewrite_weights(m, tmp.path(), [&](std::vector<TensorToWrite>& t) {
    t.push_back({"embeddings.word_embeddings.weight", {c.vocab_size, c.hidden_size}, m.params.word_emb});
  });
  EXPECT_EQ(load_error(tmp.path()), weights + ": tensors 'bert.embeddings.word_embeddings.weight' and "
                                              "'embeddings.word_embeddings.weight' are the same weight "
                                              "'bert.embeddings.word_embeddings.weight'");

  std::vector<float> decoder(c.vocab_size * 4);
  rewrite_weights(m, tmp.path(), [&](std::vector<TensorToWrite>& t) {
    t.push_back({"cls.predictions.decoder.weight", {c.vocab_size, 4}, decoder.data()});
  });
  EXPECT_NE(load_error(tmp.path(), with_heads({.pooler = true, .classifier = true, .mlm = true}))
                .find("tensor 'cls.predictions.decoder.weight' has shape [40,4], config.json implies [40,8] "
                      "(tied to the word embeddings)"),
            std::string::npos);
}

// Every tensor config.json implies is checked against the header before the model is allocated: a
// config whose model would need 200 GB fails on the first shape, not on memory.
TEST(Checkpoint, ConfigSizesAreCheckedAgainstTheHeaderBeforeAllocating) {
  TempDir tmp;
  ModelConfig c = tiny_config();
  save_model(random_model(c, kClassification), tmp.path());
  const std::string weights = tmp / "model.safetensors";

  ModelConfig wide = c;
  wide.hidden_size = 65536;
  wide.num_attention_heads = 1;
  wide.num_hidden_layers = 1;
  write_file_atomic(tmp / "config.json", config_to_json(wide));
  EXPECT_EQ(load_error(tmp.path(), with_heads(kClassification)),
            weights + ": tensor 'bert.embeddings.word_embeddings.weight' has shape [40,8], config.json implies [40,65536]");

  ModelConfig deep = c;
  deep.num_hidden_layers = 1024;
  write_file_atomic(tmp / "config.json", config_to_json(deep));
  EXPECT_LT(test::cpu_seconds([&] {
              EXPECT_EQ(load_error(tmp.path(), with_heads(kClassification)),
                        weights + ": missing tensor 'bert.encoder.layer.2.attention.self.query.weight' and 16351 "
                                  "more (config.json: 1024 layers, hidden_size 8)");
            }),
            1.0);
}

// A NaN or infinity would reach every output (serve answered "score": null, eval a chance accuracy).
TEST(Checkpoint, NonFiniteWeightsAreRefusedWithTheTensorName) {
  TempDir tmp;
  const ModelConfig c = tiny_config();
  auto error_with = [&](const char* name, size_t index, float value, DType dtype) {
    Model m = random_model(c, kClassification);
    m.params.tensor(*m.params.find(name))[index] = value;
    const std::string dir = tmp / (std::string(name) + safetensors_dtype_name(dtype));
    save_model(m, dir, dtype);
    return load_error(dir, with_heads(kClassification));
  };
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(error_with("classifier.weight", 5, std::nanf(""), DType::F32),
            tmp / "classifier.weightF32/model.safetensors" + ": tensor 'classifier.weight' holds NaN at index 5");
  EXPECT_NE(error_with("bert.embeddings.word_embeddings.weight", 100, inf, DType::BF16)
                .find("model.safetensors: tensor 'bert.embeddings.word_embeddings.weight' holds inf at index 100"),
            std::string::npos);
  // 1e6 is finite in fp32 but beyond fp16's range: it is stored as -inf.
  EXPECT_NE(error_with("bert.encoder.layer.1.output.LayerNorm.weight", 7, -1e6f, DType::F16)
                .find("tensor 'bert.encoder.layer.1.output.LayerNorm.weight' holds -inf at index 7"),
            std::string::npos);
  EXPECT_NE(error_with("bert.pooler.dense.bias", 0, std::nanf(""), DType::F16).find("holds NaN at index 0"),
            std::string::npos);
  // Values at the edge of the range are fine.
  Model m = random_model(c, kClassification);
  m.params.head_out_b[0] = std::numeric_limits<float>::max();
  m.params.head_out_b[1] = -std::numeric_limits<float>::denorm_min();
  save_model(m, tmp / "edge", DType::F32);
  EXPECT_EQ(load_model(tmp / "edge", with_heads(kClassification), nullptr).params.head_out_b[0],
            std::numeric_limits<float>::max());
}

TEST(Checkpoint, TokenizerMustFitTheWordEmbeddings) {
  const ModelConfig c = tiny_config();  // vocab_size 40
  std::string vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n";
  for (int i = 5; i < 40; i++) vocab += "w" + std::to_string(i) + "\n";
  check_tokenizer_fits(Tokenizer::from_vocab_txt(vocab, "m/vocab.txt"), c, "m/config.json");
  try {
    check_tokenizer_fits(Tokenizer::from_vocab_txt(vocab + "w40\n", "m/vocab.txt"), c, "m/config.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "m/vocab.txt: vocabulary has 41 tokens (highest id 40), more than m/config.json vocab_size 40");
  }
  // Added tokens count too.
  const std::string config = R"({"added_tokens_decoder": {"40": {"content": "<new>", "special": true}}})";
  EXPECT_THROW(check_tokenizer_fits(Tokenizer::from_vocab_txt(vocab, "m/vocab.txt", config), c, "m/config.json"),
               Error);
}

TEST(Checkpoint, UnconvertibleDtypeOfAUsedTensorIsAnError) {
  TempDir tmp;
  Model m = random_model(tiny_config(), kClassification);
  save_model(m, tmp.path());
  const std::string weights = tmp / "model.safetensors";
  // Same bytes, dtype relabelled: I32 has the F32 size, so the file stays valid.
  std::string bytes = read_file(weights);
  size_t at = bytes.find("\"classifier.bias\":{\"dtype\":\"F32\"");
  ASSERT_NE(at, std::string::npos);
  bytes.replace(bytes.find("F32", at), 3, "I32");
  write_file_atomic(weights, bytes);
  EXPECT_EQ(load_error(tmp.path(), with_heads(kClassification)),
            weights + ": unsupported dtype I32 for tensor 'classifier.bias' (bertft reads F32, F16, BF16 and F64)");
}

TEST(Checkpoint, MissingOrForeignWeightFilesAreExplained) {
  TempDir tmp;
  EXPECT_NE(load_error(tmp / "nope").find("nope: not a model directory"), std::string::npos);
  EXPECT_EQ(load_error(tmp.path()), tmp.path() + ": no weights: none of model.safetensors, model.safetensors.index.json, "
                                                 "pytorch_model.bin, pytorch_model.bin.index.json");
  write_file_atomic(tmp / "pytorch_model.bin", "PK");
  EXPECT_EQ(load_error(tmp.path()), tmp / "pytorch_model.bin: cannot read as a zip archive: Unrecognized archive format");
  write_file_atomic(tmp / "config.json", "{}");
  write_file_atomic(tmp / "model.safetensors", "garbage!");
  EXPECT_NE(load_error(tmp.path()).find("model.safetensors: header length"), std::string::npos);
}

TEST(Checkpoint, CopiesTokenizerFiles) {
  TempDir tmp;
  const std::string src = tmp / "src", dst = tmp / "dst";
  fs::create_directories(src);
  EXPECT_THROW(copy_tokenizer_files(src, dst), Error);
  write_file_atomic(src + "/vocab.txt", "[PAD]\n[UNK]\n");
  write_file_atomic(src + "/tokenizer_config.json", "{}");
  write_file_atomic(src + "/other.txt", "x");
  EXPECT_EQ(copy_tokenizer_files(src, dst), (std::vector<std::string>{"vocab.txt", "tokenizer_config.json"}));
  EXPECT_EQ(read_file(dst + "/vocab.txt"), "[PAD]\n[UNK]\n");
  EXPECT_FALSE(fs::exists(dst + "/other.txt"));
  EXPECT_EQ(copy_tokenizer_files(dst, dst).size(), 2u);
}

TEST(Checkpoint, TokenizerFilesOutliveTheirDirectory) {
  TempDir tmp;
  const std::string src = tmp / "src", dst = tmp / "dst";
  fs::create_directories(src);
  EXPECT_THROW(read_tokenizer_files(src), Error);
  write_file_atomic(src + "/vocab.txt", "[PAD]\n[UNK]\n");
  write_file_atomic(src + "/tokenizer.json", "{}");
  const TokenizerFiles files = read_tokenizer_files(src);
  fs::remove_all(src);
  write_tokenizer_files(files, dst);
  EXPECT_EQ(tokenizer_files(dst), (std::vector<std::string>{"vocab.txt", "tokenizer.json"}));
  EXPECT_EQ(read_file(dst + "/vocab.txt"), "[PAD]\n[UNK]\n");
}

}  // namespace bertft

namespace bertft {

namespace {

// DIR/model.safetensors split in two shards (alternate tensors) with their index, as
// save_pretrained(max_shard_size=...) writes them; returns the index path.
std::string shard_weights(const Model& m, const std::string& dir) {
  std::vector<TensorToWrite> shards[2];
  nlohmann::json map = nlohmann::json::object();
  size_t i = 0;
  for (const TensorSpec& s : m.params.specs()) {
    const int shard = static_cast<int>(i++ % 2);
    shards[shard].push_back({s.name, s.shape, m.params.data() + s.offset});
    map[s.name] = "model-0000" + std::to_string(shard + 1) + "-of-00002.safetensors";
  }
  for (int shard = 0; shard < 2; shard++)
    write_safetensors(dir + "/model-0000" + std::to_string(shard + 1) + "-of-00002.safetensors", shards[shard],
                      DType::F32);
  const std::string index = dir + "/model.safetensors.index.json";
  write_file_atomic(index, nlohmann::json{{"metadata", {{"total_size", m.params.size() * 4}}}, {"weight_map", map}}.dump());
  return index;
}

}  // namespace

TEST(Checkpoint, ShardedSafetensorsLoadAsTheSingleFile) {
  TempDir whole, sharded;
  const Model m = random_model(tiny_config(), kClassification);
  save_model(m, whole.path());
  save_model(m, sharded.path());
  fs::remove(sharded / "model.safetensors");
  shard_weights(m, sharded.path());
  const Model a = load_model(whole.path(), with_heads(kClassification), nullptr);
  const Model b = load_model(sharded.path(), with_heads(kClassification), nullptr);
  ASSERT_EQ(a.params.size(), b.params.size());
  EXPECT_EQ(std::memcmp(a.params.data(), b.params.data(), a.params.size() * 4), 0);

  // The single file wins over an index, as in transformers.
  save_model(random_model(tiny_config(), kClassification, 99), sharded.path());
  const Model c = load_model(sharded.path(), with_heads(kClassification), nullptr);
  EXPECT_NE(std::memcmp(b.params.data(), c.params.data(), b.params.size() * 4), 0);
}

TEST(Checkpoint, BrokenShardIndexesAreExplained) {
  TempDir tmp;
  const Model m = random_model(tiny_config(), kClassification);
  save_model(m, tmp.path());
  fs::remove(tmp / "model.safetensors");
  const std::string index = shard_weights(m, tmp.path());
  const std::string text = read_file(index);
  auto error_with = [&](const std::string& edited) {
    write_file_atomic(index, edited);
    return load_error(tmp.path(), with_heads(kClassification));
  };
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string s = text;
    const size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  const std::string first = "\"bert.embeddings.LayerNorm.bias\":\"model-00001-of-00002.safetensors\"";
  ASSERT_NE(text.find(first), std::string::npos) << text;

  EXPECT_EQ(error_with(replaced("model-00001-of-00002.safetensors\"", "model-00003-of-00002.safetensors\"")),
            index + ": shard 'model-00003-of-00002.safetensors' (of tensor 'bert.embeddings.LayerNorm.bias') is missing");
  EXPECT_EQ(error_with(replaced(first, first + "," + first)),
            index + ": duplicate key 'bert.embeddings.LayerNorm.bias'");
  EXPECT_EQ(error_with(replaced(first, "\"bert.embeddings.LayerNorm.bias\":\"model-00002-of-00002.safetensors\"")),
            index + ": tensor 'bert.embeddings.LayerNorm.bias' is in " + tmp / "model-00001-of-00002.safetensors" +
                ", but weight_map puts it in model-00002-of-00002.safetensors");
  EXPECT_EQ(error_with(replaced(first + ",", "")),
            index + ": tensor 'bert.embeddings.LayerNorm.bias' of shard " + tmp / "model-00001-of-00002.safetensors" +
                " is not in weight_map");
  EXPECT_EQ(error_with(replaced(first, "\"bert.extra\":\"model-00001-of-00002.safetensors\"," + first)),
            index + ": tensor 'bert.extra' is not in its shard model-00001-of-00002.safetensors");
  EXPECT_EQ(error_with(replaced("\"model-00001-of-00002.safetensors\"", "\"../model-00001-of-00002.safetensors\"")),
            index + ": weight_map['bert.embeddings.LayerNorm.bias']: '../model-00001-of-00002.safetensors' is not a file "
                    "name in the model directory");
  EXPECT_EQ(error_with("{\"metadata\": {}}"), index + ": no weight_map: not a sharded checkpoint index");
  EXPECT_EQ(error_with("{\"weight_map\": {}}"), index + ": weight_map names no tensors");
}

}  // namespace bertft
