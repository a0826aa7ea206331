// Random initialisation with the semantics of transformers' _init_weights (BERT, DistilBERT, RoBERTa, ELECTRA). The
// values cannot match PyTorch's generator; what matters is the distribution and that a given seed
// gives the same model everywhere, so the generator and the normal transform are our own.
#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <string_view>

#include "model/checkpoint.h"

namespace bertft {

namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// One stream per tensor, so a tensor's values do not depend on which other tensors are initialised.
uint64_t tensor_seed(uint64_t seed, std::string_view name) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
  for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  return splitmix64(seed ^ splitmix64(h));
}

// Box-Muller on 53-bit uniforms: std::normal_distribution differs between standard libraries.
class NormalStream {
 public:
  explicit NormalStream(uint64_t seed) : rng_(seed) {}
  double next() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = static_cast<double>((rng_() >> 11) + 1) * 0x1p-53;  // (0, 1]: log is finite
    const double u2 = static_cast<double>(rng_() >> 11) * 0x1p-53;
    const double r = std::sqrt(-2.0 * std::log(u1)), theta = 2.0 * std::numbers::pi * u2;
    spare_ = r * std::sin(theta);
    has_spare_ = true;
    return r * std::cos(theta);
  }

 private:
  std::mt19937_64 rng_;
  double spare_ = 0;
  bool has_spare_ = false;
};

// DistilBERT's create_sinusoidal_embeddings: sin at even columns, cos at odd, unscaled.
void fill_fixed_sinusoids(float* data, int64_t positions, int64_t dim) {
  for (int64_t pos = 0; pos < positions; pos++)
    for (int64_t j = 0; j < dim; j++) {
      const double angle = static_cast<double>(pos) / std::pow(10000.0, static_cast<double>(2 * (j / 2)) / dim);
      data[pos * dim + j] = static_cast<float>(j % 2 == 0 ? std::sin(angle) : std::cos(angle));
    }
}

}  // namespace

void init_tensor(const TensorSpec& spec, float* data, const ModelConfig& config, uint64_t seed) {
  const int64_t width = spec.shape.back();
  switch (spec.role) {
    case Role::Norm:
      std::fill(data, data + spec.numel, 1.0f);
      return;
    case Role::Bias:
      std::fill(data, data + spec.numel, 0.0f);
      return;
    case Role::Matrix: case Role::Embedding: case Role::WordEmbedding:
      break;
  }
  if (spec.fixed) {
    fill_fixed_sinusoids(data, spec.shape[0], width);
    return;
  }
  NormalStream normal(tensor_seed(seed, spec.name));
  for (size_t i = 0; i < spec.numel; i++) data[i] = static_cast<float>(normal.next() * config.initializer_range);
  // nn.Embedding(padding_idx=pad_token_id) keeps the padding row at zero: the word embeddings', and
  // RoBERTa's positions' too.
  const bool padded = spec.role == Role::WordEmbedding ||
                      (spec.slot == Slot::PositionEmbeddings && config.arch().position_ids_after_padding);
  if (padded && config.pad_token_id < spec.shape[0])
    std::fill_n(data + static_cast<int64_t>(config.pad_token_id) * width, width, 0.0f);
}

void init_params(ModelParams& params, const ModelConfig& config, uint64_t seed) {
  for (const TensorSpec& spec : params.specs()) init_tensor(spec, params.tensor(spec), config, seed);
}

void init_sinusoidal_positions(ModelParams& params, const ModelConfig& config) {
  float* data = params.pos_emb;
  const int64_t hidden = config.embedding_width();
  // sin and cos of one frequency have variance 1/2 each over many positions.
  const double scale = config.initializer_range * std::numbers::sqrt2;
  for (int64_t pos = 0; pos < config.max_position_embeddings; pos++) {
    for (int64_t i = 0; i < hidden; i++) {
      const double frequency = std::pow(10000.0, -static_cast<double>(i - i % 2) / static_cast<double>(hidden));
      const double angle = static_cast<double>(pos) * frequency;
      data[pos * hidden + i] = static_cast<float>(scale * (i % 2 == 0 ? std::sin(angle) : std::cos(angle)));
    }
  }
}

}  // namespace bertft
