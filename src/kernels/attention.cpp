#include "kernels/attention.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/multiversion.h"
#include "kernels/bf16.h"
#include "kernels/dropout.h"
#include "kernels/matmul.h"
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

BERTFT_HOT_LOOP void attention_forward(float* out, const float* q, const float* k, const float* v,
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

int64_t attention_train_scratch_per_thread(int max_seq_len) {
  // probs and dprobs in fp32, and one bf16 copy of either for the bf16 products
  const int64_t square = static_cast<int64_t>(max_seq_len) * max_seq_len;
  return 2 * square + (square + 1) / 2;
}

namespace {

int max_kv_length(const AttentionShape& shape) {
  int n = 0;
  for (int s = 0; s < shape.num_seqs; s++) n = std::max(n, shape.kv_offsets[s + 1] - shape.kv_offsets[s]);
  for (int s = 0; s < shape.num_seqs; s++) n = std::max(n, shape.q_offsets[s + 1] - shape.q_offsets[s]);
  return n;
}

// c[M, N] = op(a) · op(b) in the precision of the operands.
void product(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const float* a, int64_t lda,
             const float* b, int64_t ldb, float* c, int64_t ldc) {
  gemm(trans_a, trans_b, M, N, K, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
}
void product(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const bf16* a, int64_t lda,
             const bf16* b, int64_t ldb, float* c, int64_t ldc) {
  gemm(trans_a, trans_b, M, N, K, a, lda, b, ldb, 0.0f, c, ldc);
}

// x[n] in the operand precision In, scaled: fp32 values are scaled in place, bf16 ones converted
// into `converted`.
const float* as_operand(float* x, float scale, int64_t n, float*) {
  if (scale != 1.0f)
    for (int64_t i = 0; i < n; i++) x[i] *= scale;
  return x;
}
const bf16* as_operand(float* x, float scale, int64_t n, bf16* converted) {
  to_bf16_scaled(converted, x, scale, n);
  return converted;
}

// Per-thread scratch: fp32 probs and dprobs [max_len^2] each, then the In copy.
struct HeadScratch {
  float* probs;
  float* dprobs;
  void* operand;
};
HeadScratch head_scratch(float* scratch, int max_len) {
  const int64_t square = static_cast<int64_t>(max_len) * max_len;
  float* base = scratch + omp_get_thread_num() * attention_train_scratch_per_thread(max_len);
  return {base, base + square, base + 2 * square};
}

// probs[nq, nk] = softmax(q k^T / sqrt(d)) of sequence s, head h.
template <class In>
BERTFT_HOT_LOOP void attention_probs(float* probs, const In* q, const In* k, const AttentionShape& shape, int s, int h) {
  const int d = shape.head_size;
  const int q0 = shape.q_offsets[s], nq = shape.q_offsets[s + 1] - q0;
  const int k0 = shape.kv_offsets[s], nk = shape.kv_offsets[s + 1] - k0;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const int valid = shape.kv_lengths ? std::min(shape.kv_lengths[s], nk) : nk;
  product(false, true, nq, nk, d, q + q0 * shape.q_stride + h * d, shape.q_stride,
          k + k0 * shape.kv_stride + h * d, shape.kv_stride, probs, nk);
  for (int i = 0; i < nq; i++) {
    float* row = probs + static_cast<int64_t>(i) * nk;
#pragma omp simd
    for (int j = 0; j < valid; j++) row[j] *= scale;
    softmax_inplace(row, valid);
    std::fill(row + valid, row + nk, 0.0f);
  }
}

// Dropout on probs[nq, nk] of sequence s, head h (same mask in forward and backward).
BERTFT_HOT_LOOP void attention_dropout(float* dst, const float* src, const AttentionShape& shape, int s, int h, float p,
                       uint64_t key) {
  const int q0 = shape.q_offsets[s], nq = shape.q_offsets[s + 1] - q0;
  const int nk = shape.kv_offsets[s + 1] - shape.kv_offsets[s];
  const float scale = 1.0f / (1.0f - p);
  for (int i = 0; i < nq; i++) {
    const uint64_t base = (static_cast<uint64_t>(q0 + i) * shape.num_heads + h) << 20;
    const float* in = src + static_cast<int64_t>(i) * nk;
    float* out = dst + static_cast<int64_t>(i) * nk;
#pragma omp simd
    for (int j = 0; j < nk; j++) out[j] = dropout_keep(key, base + j, p) ? in[j] * scale : 0.0f;
  }
}

template <class In>
void attention_forward_train_impl(float* out, const In* q, const In* k, const In* v, const AttentionShape& shape,
                                  float dropout_p, uint64_t seed, uint64_t stream, float* scratch) {
  const int d = shape.head_size;
  const int64_t out_stride = static_cast<int64_t>(shape.num_heads) * d;
  const int max_len = max_kv_length(shape);
  const uint64_t key = dropout_stream_key(seed, stream);
#pragma omp parallel for collapse(2) schedule(dynamic)
  for (int s = 0; s < shape.num_seqs; s++) {
    for (int h = 0; h < shape.num_heads; h++) {
      const HeadScratch work = head_scratch(scratch, max_len);
      const int q0 = shape.q_offsets[s], nq = shape.q_offsets[s + 1] - q0;
      const int k0 = shape.kv_offsets[s], nk = shape.kv_offsets[s + 1] - k0;
      if (nq == 0) continue;
      attention_probs(work.probs, q, k, shape, s, h);
      if (dropout_p > 0.0f) attention_dropout(work.probs, work.probs, shape, s, h, dropout_p, key);
      const In* probs = as_operand(work.probs, 1.0f, static_cast<int64_t>(nq) * nk, static_cast<In*>(work.operand));
      product(false, false, nq, d, nk, probs, nk, v + k0 * shape.kv_stride + h * d, shape.kv_stride,
              out + q0 * out_stride + h * d, out_stride);
    }
  }
}

template <class In>
BERTFT_HOT_LOOP void attention_backward_impl(float* dq, float* dk, float* dv, const In* dout, const In* q, const In* k,
                             const In* v, const AttentionShape& shape, float dropout_p, uint64_t seed,
                             uint64_t stream, float* scratch) {
  const int d = shape.head_size;
  const int64_t out_stride = static_cast<int64_t>(shape.num_heads) * d;
  const int max_len = max_kv_length(shape);
  const uint64_t key = dropout_stream_key(seed, stream);
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
#pragma omp parallel for collapse(2) schedule(dynamic)
  for (int s = 0; s < shape.num_seqs; s++) {
    for (int h = 0; h < shape.num_heads; h++) {
      const int q0 = shape.q_offsets[s], nq = shape.q_offsets[s + 1] - q0;
      const int k0 = shape.kv_offsets[s], nk = shape.kv_offsets[s + 1] - k0;
      const HeadScratch work = head_scratch(scratch, max_len);
      float* probs = work.probs;    // [nq, nk]
      float* dprobs = work.dprobs;  // [nq, nk]
      In* operand = static_cast<In*>(work.operand);
      const int64_t n = static_cast<int64_t>(nq) * nk;
      const In* qs = q + q0 * shape.q_stride + h * d;
      const In* ks = k + k0 * shape.kv_stride + h * d;
      const In* vs = v + k0 * shape.kv_stride + h * d;
      const In* dos = dout + q0 * out_stride + h * d;
      float* dqs = dq + q0 * shape.q_stride + h * d;
      float* dks = dk + k0 * shape.kv_stride + h * d;
      float* dvs = dv + k0 * shape.kv_stride + h * d;
      if (nq == 0) {  // no queries: nothing flows to these keys and values
        for (int j = 0; j < nk; j++)
          for (int c = 0; c < d; c++) dks[j * shape.kv_stride + c] = dvs[j * shape.kv_stride + c] = 0.0f;
        continue;
      }
      attention_probs(probs, q, k, shape, s, h);
      // dv = dropped_probs^T dout (dprobs holds the dropped probabilities for a moment).
      float* dropped = probs;
      if (dropout_p > 0.0f) {
        attention_dropout(dprobs, probs, shape, s, h, dropout_p, key);
        dropped = dprobs;
      }
      product(true, false, nk, d, nq, as_operand(dropped, 1.0f, n, operand), nk, dos, out_stride, dvs,
              shape.kv_stride);
      // dprobs = dout v^T, then through the dropout mask.
      product(false, true, nq, nk, d, dos, out_stride, vs, shape.kv_stride, dprobs, nk);
      if (dropout_p > 0.0f) attention_dropout(dprobs, dprobs, shape, s, h, dropout_p, key);
      // Softmax backward: dscores = p * (dp - sum_j p dp), in place in dprobs.
      for (int i = 0; i < nq; i++) {
        const float* p = probs + static_cast<int64_t>(i) * nk;
        float* g = dprobs + static_cast<int64_t>(i) * nk;
        float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
        for (int j = 0; j < nk; j++) dot += p[j] * g[j];
#pragma omp simd
        for (int j = 0; j < nk; j++) g[j] = p[j] * (g[j] - dot);
      }
      // scores = scale q k^T: dq = scale dscores k, dk = scale dscores^T q.
      const In* dscores = as_operand(dprobs, scale, n, operand);
      product(false, false, nq, d, nk, dscores, nk, ks, shape.kv_stride, dqs, shape.q_stride);
      product(true, false, nk, d, nq, dscores, nk, qs, shape.q_stride, dks, shape.kv_stride);
    }
  }
}

}  // namespace

void attention_forward_train(float* out, const float* q, const float* k, const float* v,
                             const AttentionShape& shape, float dropout_p, uint64_t seed,
                             uint64_t stream, float* scratch) {
  attention_forward_train_impl(out, q, k, v, shape, dropout_p, seed, stream, scratch);
}

void attention_forward_train(float* out, const bf16* q, const bf16* k, const bf16* v,
                             const AttentionShape& shape, float dropout_p, uint64_t seed,
                             uint64_t stream, float* scratch) {
  attention_forward_train_impl(out, q, k, v, shape, dropout_p, seed, stream, scratch);
}

void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* q,
                        const float* k, const float* v, const AttentionShape& shape, float dropout_p,
                        uint64_t seed, uint64_t stream, float* scratch) {
  attention_backward_impl(dq, dk, dv, dout, q, k, v, shape, dropout_p, seed, stream, scratch);
}

void attention_backward(float* dq, float* dk, float* dv, const bf16* dout, const bf16* q, const bf16* k,
                        const bf16* v, const AttentionShape& shape, float dropout_p, uint64_t seed,
                        uint64_t stream, float* scratch) {
  attention_backward_impl(dq, dk, dv, dout, q, k, v, shape, dropout_p, seed, stream, scratch);
}

}  // namespace bertft
