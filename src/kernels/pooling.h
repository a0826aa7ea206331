#pragma once
// Pooling a packed batch's token rows into one row per sequence: the classification head's input for
// classifier_pooling mean and max (model/config.h). Sequence b owns rows [offsets[b], offsets[b + 1])
// of hidden[T, H]; with lengths (a padded batch) only its first lengths[b] rows are real, the rest are
// padding, which pooling leaves out as an attention mask of 0 does. lengths may be nullptr (packed:
// every row is real). Every sequence has at least one real row.
#include <cstdint>

namespace bertft {

// pooled[B, H] = mean over each sequence's real rows of hidden[T, H].
void mean_pool_forward(float* pooled, const float* hidden, const int32_t* offsets, const int32_t* lengths, int64_t B,
                       int64_t H);
// Backward of mean_pool_forward: dhidden[T, H] overwritten, each real row of sequence b getting
// dpooled[b] / its real rows, each padding row 0.
void mean_pool_backward(float* dhidden, const float* dpooled, const int32_t* offsets, const int32_t* lengths,
                        int64_t B, int64_t H);

// pooled[B, H] = per-dimension max over each sequence's real rows of hidden[T, H]; argmax[B, H] = the
// row of hidden (0..T-1) each maximum comes from, the first on ties, kept for the backward pass.
void max_pool_forward(float* pooled, int32_t* argmax, const float* hidden, const int32_t* offsets,
                      const int32_t* lengths, int64_t B, int64_t H);
// Backward of max_pool_forward: dhidden[T, H] overwritten, dpooled[b, i] at row argmax[b, i], column i,
// and 0 everywhere else.
void max_pool_backward(float* dhidden, const float* dpooled, const int32_t* argmax, const int32_t* offsets, int64_t B,
                       int64_t H);

}  // namespace bertft
