#pragma once
// Multi-head scaled dot-product self-attention over packed sequences: each sequence attends only to
// its own tokens, which is exactly what HF's padding mask (large negative score on padded keys)
// computes, without spending anything on padding.
#include <cstdint>

namespace bertft {

struct AttentionShape {
  int num_seqs = 0;
  int num_heads = 0;
  int head_size = 0;
  int64_t q_stride = 0;      // floats between consecutive query rows
  int64_t kv_stride = 0;     // floats between consecutive key (and value) rows
  const int* q_offsets = nullptr;   // [num_seqs + 1]: sequence s owns query rows [q_offsets[s], q_offsets[s+1])
  const int* kv_offsets = nullptr;  // [num_seqs + 1]: sequence s owns key/value rows [kv_offsets[s], kv_offsets[s+1])
};

// Floats of scratch attention_forward needs per thread for sequences of up to max_seq_len tokens.
int64_t attention_scratch_per_thread(int max_seq_len, int head_size);

// out[Tq, num_heads * head_size]: for each sequence s and head h (columns [h*d, (h+1)*d) of q, k, v
// and out), out_i = softmax_j(q_i · k_j / sqrt(d)) v_j over the sequence's own keys j.
// Queries and keys are separate so the last layer can attend from the [CLS] rows only.
// scratch holds attention_scratch_per_thread(...) floats for each of omp_get_max_threads() threads.
void attention_forward(float* out, const float* q, const float* k, const float* v,
                       const AttentionShape& shape, float* scratch);

}  // namespace bertft
