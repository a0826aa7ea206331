#pragma once
// bf16 copies of the encoder's matrix weights, the operands of the bf16 matrix products. Biases,
// LayerNorms, embeddings and the heads are read in fp32 from ModelParams.
#include <memory>
#include <vector>

#include "common/float_convert.h"
#include "model/params.h"

namespace bertft {

struct LayerWeightsBf16 {
  bf16* qkv_w;       // [3H, H]
  bf16* attn_out_w;  // [H, H]
  bf16* inter_w;     // [I, H]
  bf16* out_w;       // [H, I]
};

class EncoderWeightsBf16 {
 public:
  explicit EncoderWeightsBf16(const ModelConfig& config);  // allocates; call update before use
  // Rounds the current fp32 weights of `params` (same config) to bf16.
  void update(const ModelParams& params);
  const LayerWeightsBf16& layer(int l) const { return layers_[l]; }

 private:
  ModelConfig config_;
  std::vector<LayerWeightsBf16> layers_;
  std::unique_ptr<float[]> storage_;
};

}  // namespace bertft
