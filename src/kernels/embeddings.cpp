#include "kernels/embeddings.h"

#include "kernels/layernorm.h"

namespace bertft {

void embeddings_forward(float* out, const int32_t* ids, const int32_t* type_ids,
                        const int32_t* positions, int64_t T, int64_t H, const float* word_emb,
                        const float* type_emb, const float* pos_emb, const float* ln_weight,
                        const float* ln_bias, float eps) {
#pragma omp parallel for
  for (int64_t t = 0; t < T; t++) {
    float* o = out + t * H;
    const float* word = word_emb + static_cast<int64_t>(ids[t]) * H;
    const float* type = type_emb + static_cast<int64_t>(type_ids[t]) * H;
    const float* pos = pos_emb + static_cast<int64_t>(positions[t]) * H;
    // Same summation order as HF: (inputs_embeds + token_type_embeddings) + position_embeddings.
#pragma omp simd
    for (int64_t i = 0; i < H; i++) o[i] = (word[i] + type[i]) + pos[i];
    layernorm_row(o, ln_weight, ln_bias, H, eps);
  }
}

}  // namespace bertft
