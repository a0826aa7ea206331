#include "baseline/recurrent_classifier.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>
#include <set>
#include <stdexcept>

#include "common/error.h"
#include "data/rng.h"
#include "kernels/additive_attention.h"
#include "kernels/bf16.h"
#include "kernels/dropout.h"
#include "kernels/linear.h"
#include "model/safetensors.h"

namespace bertft {
namespace {

// Dropout streams: the embeddings, the output of each LSTM layer but the last, the text vector.
constexpr uint64_t kEmbeddingStream = 0, kFirstLayerStream = 1, kFeatureStream = 1u << 20;

std::string lstm_name(const char* what, int64_t layer, int direction) {
  return std::string("lstm.") + what + "_l" + std::to_string(layer) + (direction ? "_reverse" : "");
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); i++) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

RecurrentKind recurrent_kind_from_name(const std::string& name, const std::string& what) {
  if (name == "lstm") return RecurrentKind::Lstm;
  if (name == "bilstm-attention") return RecurrentKind::BilstmAttention;
  throw Error(what + ": '" + name + "' is not a recurrent model (lstm, bilstm-attention)");
}

const char* recurrent_kind_name(RecurrentKind kind) {
  return kind == RecurrentKind::Lstm ? "lstm" : "bilstm-attention";
}

std::vector<RecurrentTensor> recurrent_tensors(const RecurrentConfig& c) {
  std::vector<RecurrentTensor> tensors;
  auto add = [&](std::string name, std::vector<int64_t> shape, bool decayed) {
    RecurrentTensor t{std::move(name), std::move(shape), 0, 1, decayed};
    for (int64_t d : t.shape) t.numel *= static_cast<size_t>(d);
    t.offset = tensors.empty() ? 0 : tensors.back().offset + tensors.back().numel;
    tensors.push_back(std::move(t));
  };
  const int64_t H = c.hidden_size, D = c.output_dim();
  add("embedding.weight", {c.vocab_size, c.embedding_dim}, true);
  for (int64_t l = 0; l < c.num_layers; l++)
    for (int d = 0; d < c.directions(); d++) {
      add(lstm_name("weight_ih", l, d), {4 * H, l == 0 ? c.embedding_dim : D}, true);
      add(lstm_name("weight_hh", l, d), {4 * H, H}, true);
      add(lstm_name("bias_ih", l, d), {4 * H}, false);
      add(lstm_name("bias_hh", l, d), {4 * H}, false);
    }
  if (c.kind == RecurrentKind::BilstmAttention) {
    add("attention.proj.weight", {c.attention_dim, D}, true);
    add("attention.proj.bias", {c.attention_dim}, false);
    add("attention.score.weight", {1, c.attention_dim}, true);
  }
  add("classifier.weight", {c.num_labels, D}, true);
  add("classifier.bias", {c.num_labels}, false);
  return tensors;
}

RecurrentConfig recurrent_config_from_shapes(const std::map<std::string, std::vector<int64_t>>& shapes,
                                             const std::string& where) {
  auto shape_of = [&](const std::string& name, size_t rank) -> const std::vector<int64_t>& {
    auto it = shapes.find(name);
    if (it == shapes.end()) throw Error(where + ": tensor '" + name + "' is missing");
    if (it->second.size() != rank || std::any_of(it->second.begin(), it->second.end(), [](int64_t d) { return d < 1; }))
      throw Error(where + ": tensor '" + name + "' has shape " + shape_text(it->second));
    return it->second;
  };
  RecurrentConfig c;
  c.kind = shapes.count("attention.proj.weight") ? RecurrentKind::BilstmAttention : RecurrentKind::Lstm;
  const std::vector<int64_t>& embedding = shape_of("embedding.weight", 2);
  c.vocab_size = embedding[0];
  c.embedding_dim = embedding[1];
  c.hidden_size = shape_of("lstm.weight_hh_l0", 2)[1];
  c.num_layers = 0;
  while (shapes.count(lstm_name("weight_ih", c.num_layers, 0))) c.num_layers++;
  c.num_labels = shape_of("classifier.bias", 1)[0];
  if (c.kind == RecurrentKind::BilstmAttention) c.attention_dim = shape_of("attention.proj.bias", 1)[0];
  // Every tensor of that config, shaped as it says, and nothing else.
  const std::vector<RecurrentTensor> expected = recurrent_tensors(c);
  std::set<std::string> names;
  for (const RecurrentTensor& t : expected) {
    names.insert(t.name);
    const std::vector<int64_t>& got = shape_of(t.name, t.shape.size());
    if (got != t.shape)
      throw Error(where + ": tensor '" + t.name + "' has shape " + shape_text(got) + ", expected " +
                  shape_text(t.shape));
  }
  for (const auto& [name, shape] : shapes)
    if (!names.count(name)) throw Error(where + ": unexpected tensor '" + name + "'");
  return c;
}

RecurrentClassifier::RecurrentClassifier(const RecurrentConfig& config)
    : config_(config), tensors_(recurrent_tensors(config)) {
  const size_t n = tensors_.back().offset + tensors_.back().numel;
  params_.assign(n, 0.0f);
  grads_.assign(n, 0.0f);
  layers_.resize(static_cast<size_t>(config.num_layers));
  for (int64_t l = 0; l < config.num_layers; l++)
    for (int d = 0; d < config.directions(); d++) {
      Layer& layer = layers_[static_cast<size_t>(l)];
      layer.w_ih[d] = &find(lstm_name("weight_ih", l, d));
      layer.w_hh[d] = &find(lstm_name("weight_hh", l, d));
      layer.b_ih[d] = &find(lstm_name("bias_ih", l, d));
      layer.b_hh[d] = &find(lstm_name("bias_hh", l, d));
    }
}

RecurrentClassifier RecurrentClassifier::load(const std::string& path, int32_t padding_idx) {
  SafetensorsFile file(path);
  const SafetensorsReader& reader = file.reader();
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const SafetensorsEntry& e : reader.entries()) shapes[e.name] = e.shape;
  RecurrentConfig config = recurrent_config_from_shapes(shapes, path);
  if (padding_idx < 0 || padding_idx >= config.vocab_size)
    fail_file(path, "the padding token " + std::to_string(padding_idx) + " is outside the embedding's " +
                        std::to_string(config.vocab_size) + " rows");
  config.padding_idx = padding_idx;
  RecurrentClassifier model(config);
  for (const RecurrentTensor& t : model.tensors_) reader.read_f32(*reader.find(t.name), model.params_.data() + t.offset);
  return model;
}

void RecurrentClassifier::save(const std::string& path) const {
  std::vector<TensorToWrite> tensors;
  for (const RecurrentTensor& t : tensors_) tensors.push_back({t.name, t.shape, params_.data() + t.offset});
  write_safetensors(path, std::move(tensors), DType::F32);
}

const RecurrentTensor& RecurrentClassifier::find(const std::string& name) const {
  for (const RecurrentTensor& t : tensors_)
    if (t.name == name) return t;
  throw std::logic_error("RecurrentClassifier: no tensor " + name);
}

float* RecurrentClassifier::tensor(const std::string& name) { return params_.data() + find(name).offset; }

void RecurrentClassifier::init(uint64_t seed) {
  DataRng rng(seed);
  auto uniform = [&] { return static_cast<double>(rng.next() >> 11) * 0x1.0p-53; };  // [0, 1)
  for (const RecurrentTensor& t : tensors_) {
    float* p = params_.data() + t.offset;
    if (t.name == "embedding.weight") {
      for (size_t i = 0; i < t.numel; i++)  // Box-Muller
        p[i] = static_cast<float>(std::sqrt(-2.0 * std::log1p(-uniform())) * std::cos(2 * std::numbers::pi * uniform()));
      std::fill_n(p + config_.padding_idx * config_.embedding_dim, config_.embedding_dim, 0.0f);
      continue;
    }
    const bool lstm = t.name.starts_with("lstm.");
    const std::string weight_name = t.name.ends_with(".bias") ? t.name.substr(0, t.name.size() - 4) + "weight" : t.name;
    const double fan = lstm ? static_cast<double>(config_.hidden_size) : static_cast<double>(find(weight_name).shape[1]);
    const double bound = 1.0 / std::sqrt(fan);
    for (size_t i = 0; i < t.numel; i++) p[i] = static_cast<float>((2 * uniform() - 1) * bound);
  }
}

void RecurrentClassifier::resize(int64_t B, int64_t T) {
  const RecurrentConfig& c = config_;
  const size_t rows = static_cast<size_t>(B * T), H = static_cast<size_t>(c.hidden_size),
               D = static_cast<size_t>(c.output_dim()), E = static_cast<size_t>(c.embedding_dim);
  auto fit = [](std::vector<float>& v, size_t n) {
    if (v.size() < n) v.resize(n);
  };
  fit(embedded_, rows * E);
  fit(embedded_dropped_, rows * E);
  for (Layer& layer : layers_) {
    for (int d = 0; d < c.directions(); d++) {
      fit(layer.gates[d], rows * 4 * H);
      fit(layer.cell[d], rows * H);
      fit(layer.h_prev[d], rows * H);
    }
    fit(layer.out, rows * D);
    fit(layer.dropped, rows * D);
  }
  if (c.kind == RecurrentKind::BilstmAttention) {
    fit(alpha_, rows);
    fit(attention_u_, rows * static_cast<size_t>(c.attention_dim));
  }
  fit(features_, static_cast<size_t>(B) * D);
  fit(features_dropped_, static_cast<size_t>(B) * D);
  fit(logits_, static_cast<size_t>(B * c.num_labels));
}

const float* RecurrentClassifier::layer_input(size_t l) const {
  return l == 0 ? embedded_dropped_.data() : layers_[l - 1].dropped.data();
}

void RecurrentClassifier::forward(const int32_t* tokens, const int32_t* lengths, int64_t B, int64_t T, float p,
                                  uint64_t seed) {
  const RecurrentConfig& c = config_;
  resize(B, T);
  tokens_ = tokens;
  lengths_ = lengths;
  B_ = B;
  T_ = T;
  const int64_t E = c.embedding_dim, H = c.hidden_size, D = c.output_dim(), C = c.num_labels;
  const float* word = params_.data();  // embedding.weight comes first
#pragma omp parallel for schedule(static)
  for (int64_t row = 0; row < B * T; row++)
    std::memcpy(embedded_.data() + row * E, word + static_cast<int64_t>(tokens[row]) * E, sizeof(float) * E);
  dropout_forward(embedded_dropped_.data(), embedded_.data(), B * T * E, p, seed, kEmbeddingStream);
  const bool bf16_products = precision_ == Precision::Bf16;
  for (size_t l = 0; l < layers_.size(); l++) {
    Layer& layer = layers_[l];
    const int64_t I = l == 0 ? E : D;
    if (bf16_products) {
      layer.input_bf16.resize(static_cast<size_t>(B * T * I));
      to_bf16(layer.input_bf16.data(), layer_input(l), B * T * I);
    }
    for (int d = 0; d < c.directions(); d++) {
      const LstmCache cache{layer.gates[d].data(), layer.cell[d].data(), layer.h_prev[d].data()};
      const float* w_ih = params_.data() + layer.w_ih[d]->offset;
      const float* w_hh = params_.data() + layer.w_hh[d]->offset;
      const float* b_ih = params_.data() + layer.b_ih[d]->offset;
      const float* b_hh = params_.data() + layer.b_hh[d]->offset;
      if (bf16_products) {
        layer.w_ih_bf16[d].resize(layer.w_ih[d]->numel);
        to_bf16(layer.w_ih_bf16[d].data(), w_ih, static_cast<int64_t>(layer.w_ih[d]->numel));
        lstm_forward(layer.out.data() + d * H, D, cache, layer.input_bf16.data(), lengths, layer.w_ih_bf16[d].data(),
                     w_hh, b_ih, b_hh, B, T, I, H, d == 1);
      } else {
        lstm_forward(layer.out.data() + d * H, D, cache, layer_input(l), lengths, w_ih, w_hh, b_ih, b_hh, B, T, I, H,
                     d == 1);
      }
    }
    if (l + 1 < layers_.size())
      dropout_forward(layer.dropped.data(), layer.out.data(), B * T * D, p, seed, kFirstLayerStream + l);
  }
  const float* last = layers_.back().out.data();
  if (c.kind == RecurrentKind::Lstm) {
    for (int64_t b = 0; b < B; b++)
      std::memcpy(features_.data() + b * D, last + (b * T + lengths[b] - 1) * D, sizeof(float) * D);
  } else {
    additive_attention_forward(features_.data(), alpha_.data(), attention_u_.data(), last, lengths,
                               tensor("attention.proj.weight"), tensor("attention.proj.bias"),
                               tensor("attention.score.weight"), B, T, D, c.attention_dim);
  }
  dropout_forward(features_dropped_.data(), features_.data(), B * D, p, seed, kFeatureStream);
  linear_forward(logits_.data(), features_dropped_.data(), tensor("classifier.weight"), tensor("classifier.bias"), B,
                 C, D);
}

void RecurrentClassifier::backward(const float* dlogits, float p, uint64_t seed) {
  const RecurrentConfig& c = config_;
  const int64_t B = B_, T = T_, E = c.embedding_dim, H = c.hidden_size, D = c.output_dim(), C = c.num_labels;
  auto grad = [&](const std::string& name) { return grads_.data() + find(name).offset; };
  auto fit = [](std::vector<float>& v, size_t n) {
    if (v.size() < n) v.resize(n);
  };
  const size_t rows = static_cast<size_t>(B * T);
  fit(d_features_, static_cast<size_t>(B * D));
  fit(d_out_, rows * static_cast<size_t>(D));
  fit(d_in_, rows * static_cast<size_t>(std::max(E, D)));
  fit(d_gates_, rows * static_cast<size_t>(4 * H));
  if (precision_ == Precision::Bf16 && d_bf16_.size() < rows * static_cast<size_t>(5 * H))
    d_bf16_.resize(rows * static_cast<size_t>(5 * H));

  linear_backward(d_features_.data(), grad("classifier.weight"), grad("classifier.bias"), dlogits,
                  features_dropped_.data(), tensor("classifier.weight"), B, C, D);
  dropout_backward(d_features_.data(), d_features_.data(), B * D, p, seed, kFeatureStream);
  const float* last = layers_.back().out.data();
  if (c.kind == RecurrentKind::Lstm) {
    std::fill(d_out_.begin(), d_out_.begin() + static_cast<ptrdiff_t>(rows * D), 0.0f);
    for (int64_t b = 0; b < B; b++)
      std::memcpy(d_out_.data() + (b * T + lengths_[b] - 1) * D, d_features_.data() + b * D, sizeof(float) * D);
  } else {
    fit(d_u_, rows * static_cast<size_t>(c.attention_dim));
    fit(d_score_, rows);
    additive_attention_backward(d_out_.data(), grad("attention.proj.weight"), grad("attention.proj.bias"),
                                grad("attention.score.weight"), d_u_.data(), d_score_.data(), d_features_.data(),
                                alpha_.data(), attention_u_.data(), last, lengths_, tensor("attention.proj.weight"),
                                tensor("attention.score.weight"), B, T, D, c.attention_dim);
  }
  for (size_t l = layers_.size(); l-- > 0;) {
    Layer& layer = layers_[l];
    const int64_t I = l == 0 ? E : D;
    for (int d = 0; d < c.directions(); d++) {
      const LstmCache cache{layer.gates[d].data(), layer.cell[d].data(), layer.h_prev[d].data()};
      float* dw_ih = grads_.data() + layer.w_ih[d]->offset;
      float* dw_hh = grads_.data() + layer.w_hh[d]->offset;
      float* db_ih = grads_.data() + layer.b_ih[d]->offset;
      float* db_hh = grads_.data() + layer.b_hh[d]->offset;
      const float* w_hh = params_.data() + layer.w_hh[d]->offset;
      const float dx_beta = d == 0 ? 0.0f : 1.0f;  // the second direction adds its share to the first's
      if (precision_ == Precision::Bf16)
        lstm_backward(d_in_.data(), dx_beta, dw_ih, dw_hh, db_ih, db_hh, d_gates_.data(), d_bf16_.data(),
                      d_out_.data() + d * H, D, cache, layer.input_bf16.data(), lengths_, layer.w_ih_bf16[d].data(),
                      w_hh, B, T, I, H, d == 1);
      else
        lstm_backward(d_in_.data(), dx_beta, dw_ih, dw_hh, db_ih, db_hh, d_gates_.data(), d_out_.data() + d * H, D,
                      cache, layer_input(l), lengths_, params_.data() + layer.w_ih[d]->offset, w_hh, B, T, I, H,
                      d == 1);
    }
    // d_in_ is the gradient of this layer's input: the previous layer's dropped output, or the embeddings'.
    if (l > 0) dropout_backward(d_out_.data(), d_in_.data(), B * T * D, p, seed, kFirstLayerStream + l - 1);
  }
  dropout_backward(d_in_.data(), d_in_.data(), B * T * E, p, seed, kEmbeddingStream);
  float* d_word = grads_.data();  // embedding.weight's gradient: its rows of the batch's tokens but padding's
  for (int64_t b = 0; b < B; b++)
    for (int64_t t = 0; t < lengths_[b]; t++) {
      const int64_t id = tokens_[b * T + t];
      if (id == c.padding_idx) continue;
      const float* src = d_in_.data() + (b * T + t) * E;
      float* dst = d_word + id * E;
#pragma omp simd
      for (int64_t e = 0; e < E; e++) dst[e] += src[e];
    }
}

}  // namespace bertft
