#pragma once
// Bulk float -> bfloat16 conversion for the bf16 mixed-precision path (round to nearest even, as
// PyTorch's .to(torch.bfloat16) does).
#include <cstdint>

#include "common/float_convert.h"

namespace bertft {

// dst[n] = bf16(src[n]). Multithreaded (single-threaded inside a parallel region).
void to_bf16(bf16* dst, const float* src, int64_t n);

// dst[n] = bf16(scale * src[n])
void to_bf16_scaled(bf16* dst, const float* src, float scale, int64_t n);

}  // namespace bertft
