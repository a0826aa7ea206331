#pragma once
// Multi-head scaled dot-product self-attention over packed sequences: each sequence attends only to
// its own tokens, which is exactly what HF's padding mask (large negative score on padded keys)
// computes, without spending anything on padding.
#include <cstdint>

#include "common/float_convert.h"

namespace bertft {

struct AttentionShape {
  int num_seqs = 0;
  int num_heads = 0;
  int head_size = 0;
  int64_t q_stride = 0;      // floats between consecutive query rows
  int64_t kv_stride = 0;     // floats between consecutive key (and value) rows
  const int* q_offsets = nullptr;   // [num_seqs + 1]: sequence s owns query rows [q_offsets[s], q_offsets[s+1])
  const int* kv_offsets = nullptr;  // [num_seqs + 1]: sequence s owns key/value rows [kv_offsets[s], kv_offsets[s+1])
  // Training only, optional [num_seqs]: keys kv_lengths[s] and later of sequence s are padding,
  // masked out (probability 0) as HF's attention mask does.
  const int* kv_lengths = nullptr;
};

// Floats of scratch attention_forward needs per thread for sequences of up to max_seq_len tokens.
int64_t attention_scratch_per_thread(int max_seq_len, int head_size);

// out[Tq, num_heads * head_size]: for each sequence s and head h (columns [h*d, (h+1)*d) of q, k, v
// and out), out_i = softmax_j(q_i · k_j / sqrt(d)) v_j over the sequence's own keys j.
// Queries and keys are separate so the last layer can attend from the [CLS] rows only.
// scratch holds attention_scratch_per_thread(...) floats for each of omp_get_max_threads() threads.
void attention_forward(float* out, const float* q, const float* k, const float* v,
                       const AttentionShape& shape, float* scratch);

// Training: attention_forward plus dropout with probability p on the attention probabilities (as
// HF's BertSelfAttention does after the softmax), and its backward pass. Probabilities are not kept:
// the backward pass recomputes them per (sequence, head), and the dropout mask is regenerated from
// (seed, stream, element) with element = ((query_row * num_heads + head) << 20) + key_index.
// Floats of scratch each of omp_get_max_threads() threads needs for sequences of up to max_seq_len.
int64_t attention_train_scratch_per_thread(int max_seq_len);

// out[Tq, num_heads * head_size] as attention_forward, with dropout on the probabilities.
void attention_forward_train(float* out, const float* q, const float* k, const float* v,
                             const AttentionShape& shape, float dropout_p, uint64_t seed,
                             uint64_t stream, float* scratch);

// bf16 mixed precision: bf16 q, k, v; the products in bf16 with fp32 accumulation, softmax and
// dropout in fp32, the probabilities rounded to bf16 for the product with v (as PyTorch's autocast).
void attention_forward_train(float* out, const bf16* q, const bf16* k, const bf16* v,
                             const AttentionShape& shape, float dropout_p, uint64_t seed,
                             uint64_t stream, float* scratch);

// Given dout[Tq, num_heads * head_size] = dLoss/dout, writes (overwrites) dq (row stride
// shape.q_stride, like q) and dk, dv (row stride shape.kv_stride, like k and v), columns
// [h*d, (h+1)*d) for every head h. dq/dk/dv may be interleaved in one buffer (the fused [T, 3H]).
void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* q,
                        const float* k, const float* v, const AttentionShape& shape, float dropout_p,
                        uint64_t seed, uint64_t stream, float* scratch);
void attention_backward(float* dq, float* dk, float* dv, const bf16* dout, const bf16* q, const bf16* k,
                        const bf16* v, const AttentionShape& shape, float dropout_p, uint64_t seed,
                        uint64_t stream, float* scratch);

}  // namespace bertft
