#include "model/bf16_weights.h"

#include <stdexcept>

#include "common/arena.h"
#include "kernels/bf16.h"

namespace bertft {

EncoderWeightsBf16::EncoderWeightsBf16(const ModelConfig& config) : config_(config) {
  const int64_t H = config.hidden_size, I = config.intermediate_size;
  layers_.resize(config.num_hidden_layers);
  storage_ = allocate_arena(
      [&](FloatArena& a) {
        for (LayerWeightsBf16& layer : layers_) {
          layer.qkv_w = a.take_bf16(3 * H * H);
          layer.attn_out_w = a.take_bf16(H * H);
          layer.inter_w = a.take_bf16(I * H);
          layer.out_w = a.take_bf16(H * I);
        }
      },
      [](size_t bytes) { return "cannot allocate " + std::to_string(bytes >> 20) + " MiB of bf16 weights"; });
}

void EncoderWeightsBf16::update(const ModelParams& params) {
  if (params.layers.size() != layers_.size())
    throw std::logic_error("EncoderWeightsBf16::update: parameters of another config");
  const int64_t H = config_.hidden_size, I = config_.intermediate_size;
  for (size_t l = 0; l < layers_.size(); l++) {
    const LayerParams& p = params.layers[l];
    to_bf16(layers_[l].qkv_w, p.qkv_w, 3 * H * H);
    to_bf16(layers_[l].attn_out_w, p.attn_out_w, H * H);
    to_bf16(layers_[l].inter_w, p.inter_w, I * H);
    to_bf16(layers_[l].out_w, p.out_w, H * I);
  }
}

}  // namespace bertft
