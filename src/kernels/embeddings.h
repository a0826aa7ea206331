#pragma once
// BERT input embeddings (HF BertEmbeddings, absolute positions): word + token type + position,
// then LayerNorm. Operates on packed tokens: no padding rows.
#include <cstdint>

namespace bertft {

// out[T, H] = LayerNorm(word_emb[ids[t]] + type_emb[type_ids[t]] + pos_emb[positions[t]])
// word_emb [V, H], type_emb [TV, H], pos_emb [P, H]; indices must already be range-checked.
void embeddings_forward(float* out, const int32_t* ids, const int32_t* type_ids,
                        const int32_t* positions, int64_t T, int64_t H, const float* word_emb,
                        const float* type_emb, const float* pos_emb, const float* ln_weight,
                        const float* ln_bias, float eps);

}  // namespace bertft
