#pragma once
// Input embeddings (HF BertEmbeddings and its kin, absolute positions): word + token type + position,
// then LayerNorm. Operates on packed tokens: no padding rows. type_emb nullptr: a family without
// token types (DistilBERT), type_ids unread.
#include <cstdint>
#include <vector>

namespace bertft {

// out[T, H] = LayerNorm(word_emb[ids[t]] + type_emb[type_ids[t]] + pos_emb[positions[t]])
// word_emb [V, H], type_emb [TV, H], pos_emb [P, H]; indices must already be range-checked.
void embeddings_forward(float* out, const int32_t* ids, const int32_t* type_ids,
                        const int32_t* positions, int64_t T, int64_t H, const float* word_emb,
                        const float* type_emb, const float* pos_emb, const float* ln_weight,
                        const float* ln_bias, float eps);

// Training form of embeddings_forward: also keeps the LayerNorm input sum[T, H] and its per-row
// mean[T] and rstd[T] for embeddings_backward.
void embeddings_forward_train(float* out, float* sum, float* mean, float* rstd, const int32_t* ids,
                              const int32_t* type_ids, const int32_t* positions, int64_t T, int64_t H,
                              const float* word_emb, const float* type_emb, const float* pos_emb,
                              const float* ln_weight, const float* ln_bias, float eps);

// Backward of embeddings_forward_train. dout[T, H] = dLoss/dout is overwritten (it ends holding
// dLoss/dsum). Accumulates: d_ln_weight[H], d_ln_bias[H], and the touched rows of d_word_emb[V, H]
// (row ids[t], SPARSE: other rows are not read or written), d_type_emb[TV, H] and d_pos_emb[P, H]
// (each nullptr: skipped, for a family without token types or fixed positions).
// Like nn.Embedding(padding_idx=pad_id), tokens with id pad_id add nothing to d_word_emb (pass -1
// for no padding index), and position position_pad_id nothing to d_pos_emb (RoBERTa's positions).
// Deterministic: each thread owns a block of columns.
void embeddings_backward(float* d_word_emb, float* d_type_emb, float* d_pos_emb, float* d_ln_weight,
                         float* d_ln_bias, float* dout, const float* sum, const float* mean,
                         const float* rstd, const int32_t* ids, const int32_t* type_ids,
                         const int32_t* positions, int64_t T, int64_t H, const float* ln_weight,
                         int32_t pad_id, int32_t position_pad_id = -1);

// The word-embedding rows embeddings_backward writes: appends each id of ids[T] (except pad_id)
// not yet flagged in seen[V] to `rows` and flags it. A caller keeps seen/rows across accumulated
// micro-batches and zeroes exactly those gradient rows (then clears the flags) afterwards.
void embedding_touched_rows(const int32_t* ids, int64_t T, int32_t pad_id, uint8_t* seen,
                            std::vector<int32_t>& rows);

}  // namespace bertft
