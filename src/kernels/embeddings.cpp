#include "kernels/embeddings.h"

#include <algorithm>

#include "common/multiversion.h"
#include "kernels/layernorm.h"

namespace bertft {

namespace {

// out[H] = (word + type) + pos, HF's summation order ((inputs_embeds + token_type_embeddings) +
// position_embeddings); without token types (DistilBERT) word + pos.
inline void sum_row(float* out, const float* word, const float* type, const float* pos, int64_t H) {
  if (type) {
#pragma omp simd
    for (int64_t i = 0; i < H; i++) out[i] = (word[i] + type[i]) + pos[i];
  } else {
#pragma omp simd
    for (int64_t i = 0; i < H; i++) out[i] = word[i] + pos[i];
  }
}

}  // namespace

BERTFT_HOT_LOOP void embeddings_forward(float* out, const int32_t* ids, const int32_t* type_ids,
                        const int32_t* positions, int64_t T, int64_t H, const float* word_emb,
                        const float* type_emb, const float* pos_emb, const float* ln_weight,
                        const float* ln_bias, float eps) {
#pragma omp parallel for
  for (int64_t t = 0; t < T; t++) {
    float* o = out + t * H;
    sum_row(o, word_emb + static_cast<int64_t>(ids[t]) * H,
            type_emb ? type_emb + static_cast<int64_t>(type_ids[t]) * H : nullptr,
            pos_emb + static_cast<int64_t>(positions[t]) * H, H);
    layernorm_row(o, ln_weight, ln_bias, H, eps);
  }
}

BERTFT_HOT_LOOP void embeddings_forward_train(float* out, float* sum, float* mean, float* rstd, const int32_t* ids,
                              const int32_t* type_ids, const int32_t* positions, int64_t T, int64_t H,
                              const float* word_emb, const float* type_emb, const float* pos_emb,
                              const float* ln_weight, const float* ln_bias, float eps) {
#pragma omp parallel for
  for (int64_t t = 0; t < T; t++) {
    float* o = out + t * H;
    float* s = sum + t * H;
    sum_row(s, word_emb + static_cast<int64_t>(ids[t]) * H,
            type_emb ? type_emb + static_cast<int64_t>(type_ids[t]) * H : nullptr,
            pos_emb + static_cast<int64_t>(positions[t]) * H, H);
    std::copy_n(s, H, o);
    layernorm_row_stats(o, ln_weight, ln_bias, H, eps, mean + t, rstd + t);
  }
}

BERTFT_HOT_LOOP void embeddings_backward(float* d_word_emb, float* d_type_emb, float* d_pos_emb, float* d_ln_weight,
                         float* d_ln_bias, float* dout, const float* sum, const float* mean,
                         const float* rstd, const int32_t* ids, const int32_t* type_ids,
                         const int32_t* positions, int64_t T, int64_t H, const float* ln_weight,
                         int32_t pad_id, int32_t position_pad_id) {
  layernorm_backward(dout, d_ln_weight, d_ln_bias, dout, sum, ln_weight, mean, rstd, T, H);
  constexpr int64_t kBlock = 64;
  const int64_t blocks = (H + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static)
  for (int64_t blk = 0; blk < blocks; blk++) {
    const int64_t i0 = blk * kBlock, i1 = std::min(H, i0 + kBlock);
    for (int64_t t = 0; t < T; t++) {
      const float* g = dout + t * H;
      if (d_type_emb) {
        float* type = d_type_emb + static_cast<int64_t>(type_ids[t]) * H;
#pragma omp simd
        for (int64_t i = i0; i < i1; i++) type[i] += g[i];
      }
      if (d_pos_emb && positions[t] != position_pad_id) {
        float* pos = d_pos_emb + static_cast<int64_t>(positions[t]) * H;
#pragma omp simd
        for (int64_t i = i0; i < i1; i++) pos[i] += g[i];
      }
      if (ids[t] == pad_id) continue;
      float* word = d_word_emb + static_cast<int64_t>(ids[t]) * H;
#pragma omp simd
      for (int64_t i = i0; i < i1; i++) word[i] += g[i];
    }
  }
}

void embedding_touched_rows(const int32_t* ids, int64_t T, int32_t pad_id, uint8_t* seen,
                            std::vector<int32_t>& rows) {
  for (int64_t t = 0; t < T; t++) {
    const int32_t id = ids[t];
    if (id == pad_id || seen[id]) continue;
    seen[id] = 1;
    rows.push_back(id);
  }
}

}  // namespace bertft
