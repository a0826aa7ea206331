// SequenceClassifier (packed tokens, [CLS]-only last layer, or every row for mean and max pooling)
// against a naive double-precision BERT that runs every token of every layer, one sequence at a time.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include "common/error.h"
#include "inference/classifier.h"
#include "model/encoder.h"

namespace bertft {
namespace {

using Matrix = std::vector<std::vector<double>>;  // [rows][cols]

Matrix linear(const Matrix& x, const float* w, const float* b, int out, int in) {
  Matrix y(x.size(), std::vector<double>(out));
  for (size_t r = 0; r < x.size(); r++)
    for (int o = 0; o < out; o++) {
      double sum = b[o];
      for (int i = 0; i < in; i++) sum += x[r][i] * w[o * in + i];
      y[r][o] = sum;
    }
  return y;
}

void layernorm(Matrix& x, const float* w, const float* b, double eps) {
  for (auto& row : x) {
    double mean = 0, var = 0;
    for (double v : row) mean += v;
    mean /= row.size();
    for (double v : row) var += (v - mean) * (v - mean);
    var /= row.size();
    for (size_t i = 0; i < row.size(); i++) row[i] = (row[i] - mean) / std::sqrt(var + eps) * w[i] + b[i];
  }
}

std::vector<double> naive_logits(const Model& model, const TokenizedInput& input) {
  const ModelConfig& c = model.config;
  const ModelParams& p = model.params;
  const int H = c.hidden_size, I = c.intermediate_size, heads = c.num_attention_heads, d = c.head_size();
  const int n = static_cast<int>(input.ids.size());
  Matrix x(n, std::vector<double>(H));
  for (int t = 0; t < n; t++)
    for (int i = 0; i < H; i++)
      x[t][i] = double(p.word_emb[input.ids[t] * H + i]) + p.type_emb[input.type_ids[t] * H + i] +
                p.pos_emb[t * H + i];
  layernorm(x, p.emb_ln_w, p.emb_ln_b, c.layer_norm_eps);
  for (const LayerParams& L : p.layers) {
    Matrix qkv = linear(x, L.qkv_w, L.qkv_b, 3 * H, H);
    Matrix context(n, std::vector<double>(H));
    for (int h = 0; h < heads; h++)
      for (int i = 0; i < n; i++) {
        std::vector<double> scores(n);
        double max = -1e300, sum = 0;
        for (int j = 0; j < n; j++) {
          double dot = 0;
          for (int k = 0; k < d; k++) dot += qkv[i][h * d + k] * qkv[j][H + h * d + k];
          scores[j] = dot / std::sqrt(double(d));
          max = std::max(max, scores[j]);
        }
        for (double& s : scores) sum += (s = std::exp(s - max));
        for (int k = 0; k < d; k++)
          for (int j = 0; j < n; j++) context[i][h * d + k] += scores[j] / sum * qkv[j][2 * H + h * d + k];
      }
    Matrix attn = linear(context, L.attn_out_w, L.attn_out_b, H, H);
    for (int t = 0; t < n; t++)
      for (int i = 0; i < H; i++) attn[t][i] += x[t][i];
    layernorm(attn, L.attn_ln_w, L.attn_ln_b, c.layer_norm_eps);
    Matrix inter = linear(attn, L.inter_w, L.inter_b, I, H);
    for (auto& row : inter)
      for (double& v : row) v = 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
    x = linear(inter, L.out_w, L.out_b, H, I);
    for (int t = 0; t < n; t++)
      for (int i = 0; i < H; i++) x[t][i] += attn[t][i];
    layernorm(x, L.out_ln_w, L.out_ln_b, c.layer_norm_eps);
  }
  // The pooler's input: the first token's row, or the mean / max over every token's (no padding here).
  std::vector<double> rows = x[0];
  for (int t = 1; t < n; t++)
    for (int i = 0; i < H; i++)
      if (c.classifier_pooling == Pooling::Mean) rows[i] += x[t][i];
      else if (c.classifier_pooling == Pooling::Max) rows[i] = std::max(rows[i], x[t][i]);
  if (c.classifier_pooling == Pooling::Mean)
    for (double& v : rows) v /= n;
  Matrix pooled = linear({rows}, p.head_dense_w, p.head_dense_b, H, H);
  for (double& v : pooled[0]) v = std::tanh(v);
  return linear(pooled, p.head_out_w, p.head_out_b, c.num_labels(), H)[0];
}

Model random_model() {
  Model m;
  m.config.vocab_size = 30;
  m.config.hidden_size = 16;
  m.config.num_hidden_layers = 3;
  m.config.num_attention_heads = 4;
  m.config.intermediate_size = 24;
  m.config.max_position_embeddings = 20;
  m.config.layer_norm_eps = 1e-5f;
  m.config.id2label = {"a", "b", "c"};
  m.params = ModelParams(m.config, Heads{});
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 0.3f);
  for (size_t i = 0; i < m.params.size(); i++) m.params.data()[i] = dist(rng);
  return m;
}

TokenizedInput input_of(std::vector<int32_t> ids, int32_t type = 0) {
  TokenizedInput in{std::move(ids), {}};
  in.type_ids.assign(in.ids.size(), type);
  return in;
}

TEST(Inference, PackedBatchMatchesNaivePerSequenceForward) {
  const Model model = random_model();
  const std::vector<TokenizedInput> batch = {
      input_of({1, 5, 9, 2}), input_of({1, 2}), input_of({1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 2}, 1),
      input_of({1, 29, 0, 17, 2})};
  SequenceClassifier classifier(model, 4, 13);
  std::vector<float> logits(batch.size() * 3);
  classifier.forward(batch, logits.data());
  for (size_t b = 0; b < batch.size(); b++) {
    const std::vector<double> want = naive_logits(model, batch[b]);
    for (int k = 0; k < 3; k++) EXPECT_NEAR(logits[b * 3 + k], want[k], 1e-5) << "input " << b;
  }
  // A batch of one gives the same logits as the same input inside a larger batch.
  std::vector<float> single(3);
  classifier.forward(std::span(batch).subspan(2, 1), single.data());
  for (int k = 0; k < 3; k++) EXPECT_NEAR(single[k], logits[2 * 3 + k], 1e-6);
}

// int8 quantizes each token's row on its own, so an input's logits do not depend on its batch; they
// stay near fp32's (test_int8_reference checks them against a simulation of the scheme).
TEST(Inference, Int8LogitsArePerInputAndNearFp32) {
  const Model model = random_model();
  const std::vector<TokenizedInput> batch = {input_of({1, 5, 9, 2}), input_of({1, 2}),
                                             input_of({1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 2}, 1)};
  SequenceClassifier fp32(model, 3, 13, Precision::Fp32), int8(model, 3, 13, Precision::Int8);
  std::vector<float> want(batch.size() * 3), got(batch.size() * 3), single(3);
  fp32.forward(batch, want.data());
  int8.forward(batch, got.data());
  float max_diff = 0;
  for (size_t i = 0; i < got.size(); i++) max_diff = std::max(max_diff, std::fabs(got[i] - want[i]));
  EXPECT_GT(max_diff, 1e-4f);
  EXPECT_LT(max_diff, 0.05f);  // measured 0.0088
  int8.forward(std::span(batch).subspan(2, 1), single.data());
  for (int k = 0; k < 3; k++) EXPECT_NEAR(single[k], got[2 * 3 + k], 1e-6);
  EXPECT_THROW(Encoder(model.config, 16, 2, Precision::Int8, EncoderOutput::kClsRows, EncoderMode::kTraining),
               std::logic_error);
}

// Mean and max pooling read every row of the last layer, not the first token's alone (bf16 and int8 are
// checked against PyTorch in test_forward_parity and test_pooling).
TEST(Inference, PooledClassifierMatchesNaiveForward) {
  const std::vector<TokenizedInput> batch = {input_of({1, 5, 9, 2}), input_of({1, 2}),
                                             input_of({1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 2}, 1)};
  Model model = random_model();
  SequenceClassifier cls(model, 3, 13);
  std::vector<float> first_token(batch.size() * 3);
  cls.forward(batch, first_token.data());
  for (const Pooling pooling : {Pooling::Mean, Pooling::Max}) {
    model.config.classifier_pooling = pooling;
    SequenceClassifier classifier(model, 3, 13);
    std::vector<float> logits(batch.size() * 3);
    classifier.forward(batch, logits.data());
    float from_cls = 0;
    for (size_t b = 0; b < batch.size(); b++) {
      const std::vector<double> want = naive_logits(model, batch[b]);
      for (int k = 0; k < 3; k++) {
        EXPECT_NEAR(logits[b * 3 + k], want[k], 1e-5) << pooling_name(pooling) << " input " << b;
        from_cls = std::max(from_cls, std::fabs(logits[b * 3 + k] - first_token[b * 3 + k]));
      }
    }
    EXPECT_GT(from_cls, 1e-3f) << pooling_name(pooling);
  }
}

TEST(Inference, InputsOutsideTheModelAreRejected) {
  const Model model = random_model();
  EXPECT_THROW(check_input_fits(model.config, input_of({1, 30, 2}), 20), Error);
  EXPECT_THROW(check_input_fits(model.config, input_of({1, 3, 2}, 2), 20), Error);
  EXPECT_THROW(check_input_fits(model.config, input_of({1, 3, 4, 2}), 3), Error);
  EXPECT_THROW(check_input_fits(model.config, input_of({}), 20), Error);
  EXPECT_NO_THROW(check_input_fits(model.config, input_of({1, 29, 2}, 1), 3));
  EXPECT_THROW(SequenceClassifier(model, 4, 21), Error);
}

}  // namespace
}  // namespace bertft
