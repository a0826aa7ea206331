#include "kernels/attention.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/vector_math.h"

namespace bertft {

namespace {

// 16 floats: one AVX-512 register (a GCC/Clang vector extension, split into narrower registers on
// other targets). Unaligned and allowed to alias float arrays, so it loads/stores straight from them.
typedef float Vec16 __attribute__((vector_size(64), aligned(4), may_alias));
constexpr int kLanes = 16;
// Query rows computed together: every key or value vector loaded feeds this many independent FMAs
// into register accumulators.
constexpr int kQueryBlock = 8;

int64_t round_up(int64_t n, int64_t multiple) { return (n + multiple - 1) / multiple * multiple; }

}  // namespace

int64_t attention_scratch_per_thread(int max_seq_len, int head_size) {
  const int64_t len = round_up(max_seq_len, kLanes), width = round_up(head_size, kLanes);
  return head_size * len + len * width + kQueryBlock * len + kQueryBlock * head_size;
}

void attention_forward(float* out, const float* q, const float* k, const float* v,
                       const AttentionShape& shape, float* scratch) {
  const int d = shape.head_size;
  const int64_t out_stride = static_cast<int64_t>(shape.num_heads) * d;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  int max_seq_len = 0;
  for (int s = 0; s < shape.num_seqs; s++)
    max_seq_len = std::max(max_seq_len, shape.kv_offsets[s + 1] - shape.kv_offsets[s]);
  const int64_t per_thread = attention_scratch_per_thread(max_seq_len, d);

#pragma omp parallel for collapse(2) schedule(dynamic)
  for (int s = 0; s < shape.num_seqs; s++) {
    for (int h = 0; h < shape.num_heads; h++) {
      const int kv_begin = shape.kv_offsets[s];
      const int len = shape.kv_offsets[s + 1] - kv_begin;
      const int64_t len_padded = round_up(len, kLanes), width = round_up(d, kLanes);
      // This head's keys transposed [d, len_padded] and values [len, width], zero-padded to whole
      // vectors; scores [kQueryBlock, len_padded]; the block's queries, pre-scaled [kQueryBlock, d].
      float* keys_t = scratch + omp_get_thread_num() * per_thread;
      float* values = keys_t + d * len_padded;
      float* scores = values + len * width;
      float* queries = scores + kQueryBlock * len_padded;
      for (int c = 0; c < d; c++) {
        float* row = keys_t + c * len_padded;
        for (int j = 0; j < len; j++) row[j] = k[(kv_begin + j) * shape.kv_stride + h * d + c];
        std::fill(row + len, row + len_padded, 0.0f);
      }
      for (int j = 0; j < len; j++) {
        const float* value = v + (kv_begin + j) * shape.kv_stride + h * d;
        std::copy(value, value + d, values + j * width);
        std::fill(values + j * width + d, values + (j + 1) * width, 0.0f);
      }

      const int q_end = shape.q_offsets[s + 1];
      for (int i0 = shape.q_offsets[s]; i0 < q_end; i0 += kQueryBlock) {
        const int rows = std::min(kQueryBlock, q_end - i0);
        for (int r = 0; r < kQueryBlock; r++)
          for (int c = 0; c < d; c++)
            queries[r * d + c] = r < rows ? q[(i0 + r) * shape.q_stride + h * d + c] * scale : 0.0f;
        // scores = queries · keys^T, kLanes keys at a time.
        for (int64_t j0 = 0; j0 < len_padded; j0 += kLanes) {
          Vec16 acc[kQueryBlock] = {};
          for (int c = 0; c < d; c++) {
            const Vec16 key = *reinterpret_cast<const Vec16*>(keys_t + c * len_padded + j0);
#pragma GCC unroll 8
            for (int r = 0; r < kQueryBlock; r++) acc[r] += queries[r * d + c] * key;
          }
#pragma GCC unroll 8
          for (int r = 0; r < kQueryBlock; r++) *reinterpret_cast<Vec16*>(scores + r * len_padded + j0) = acc[r];
        }
        for (int r = 0; r < rows; r++) softmax_inplace(scores + r * len_padded, len);
        // out = probabilities · values, kLanes output columns at a time.
        for (int64_t c0 = 0; c0 < width; c0 += kLanes) {
          Vec16 acc[kQueryBlock] = {};
          for (int j = 0; j < len; j++) {
            const Vec16 value = *reinterpret_cast<const Vec16*>(values + j * width + c0);
#pragma GCC unroll 8
            for (int r = 0; r < kQueryBlock; r++) acc[r] += scores[r * len_padded + j] * value;
          }
          const int64_t columns = std::min<int64_t>(kLanes, d - c0);
          for (int r = 0; r < rows; r++) {
            float* o = out + (i0 + r) * out_stride + h * d + c0;
            if (columns == kLanes)
              *reinterpret_cast<Vec16*>(o) = acc[r];
            else
              std::memcpy(o, &acc[r], columns * sizeof(float));
          }
        }
      }
    }
  }
}

}  // namespace bertft
