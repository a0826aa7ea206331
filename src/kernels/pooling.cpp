#include "kernels/pooling.h"

#include <algorithm>

namespace bertft {

namespace {

// Threads split the work by (sequence, block of columns): a batch of one long sequence, as served,
// still spreads over every thread, and no two threads write the same row.
constexpr int64_t kColumns = 64;

int64_t real_rows(const int32_t* offsets, const int32_t* lengths, int64_t b) {
  return lengths ? lengths[b] : offsets[b + 1] - offsets[b];
}

}  // namespace

void mean_pool_forward(float* pooled, const float* hidden, const int32_t* offsets, const int32_t* lengths, int64_t B,
                       int64_t H) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t b = 0; b < B; b++)
    for (int64_t h0 = 0; h0 < H; h0 += kColumns) {
      const int64_t h1 = std::min(h0 + kColumns, H), n = real_rows(offsets, lengths, b);
      float* out = pooled + b * H;
      std::fill(out + h0, out + h1, 0.0f);
      for (int64_t t = offsets[b]; t < offsets[b] + n; t++) {
        const float* row = hidden + t * H;
#pragma omp simd
        for (int64_t h = h0; h < h1; h++) out[h] += row[h];
      }
      const float count = static_cast<float>(n);
      for (int64_t h = h0; h < h1; h++) out[h] /= count;
    }
}

void mean_pool_backward(float* dhidden, const float* dpooled, const int32_t* offsets, const int32_t* lengths,
                        int64_t B, int64_t H) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t b = 0; b < B; b++)
    for (int64_t h0 = 0; h0 < H; h0 += kColumns) {
      const int64_t h1 = std::min(h0 + kColumns, H), n = real_rows(offsets, lengths, b);
      const float count = static_cast<float>(n);
      const float* d = dpooled + b * H;
      for (int64_t t = offsets[b]; t < offsets[b + 1]; t++) {
        float* row = dhidden + t * H;
        if (t < offsets[b] + n)
          for (int64_t h = h0; h < h1; h++) row[h] = d[h] / count;
        else
          std::fill(row + h0, row + h1, 0.0f);
      }
    }
}

void max_pool_forward(float* pooled, int32_t* argmax, const float* hidden, const int32_t* offsets,
                      const int32_t* lengths, int64_t B, int64_t H) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t b = 0; b < B; b++)
    for (int64_t h0 = 0; h0 < H; h0 += kColumns) {
      const int64_t h1 = std::min(h0 + kColumns, H), first = offsets[b], n = real_rows(offsets, lengths, b);
      float* out = pooled + b * H;
      int32_t* at = argmax + b * H;
      std::copy(hidden + first * H + h0, hidden + first * H + h1, out + h0);
      std::fill(at + h0, at + h1, static_cast<int32_t>(first));
      for (int64_t t = first + 1; t < first + n; t++) {
        const float* row = hidden + t * H;
        for (int64_t h = h0; h < h1; h++)
          if (row[h] > out[h]) {
            out[h] = row[h];
            at[h] = static_cast<int32_t>(t);
          }
      }
    }
}

void max_pool_backward(float* dhidden, const float* dpooled, const int32_t* argmax, const int32_t* offsets, int64_t B,
                       int64_t H) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t b = 0; b < B; b++)
    for (int64_t h0 = 0; h0 < H; h0 += kColumns) {
      const int64_t h1 = std::min(h0 + kColumns, H);
      for (int64_t t = offsets[b]; t < offsets[b + 1]; t++) std::fill(dhidden + t * H + h0, dhidden + t * H + h1, 0.0f);
      for (int64_t h = h0; h < h1; h++) dhidden[argmax[b * H + h] * H + h] = dpooled[b * H + h];
    }
}

}  // namespace bertft
