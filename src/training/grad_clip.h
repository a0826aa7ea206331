#pragma once
// Gradient-norm clipping over every gradient of the model at once, as HF Trainer does with
// torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm).
#include <cstdint>
#include <vector>

#include "model/params.h"

namespace bertft {

// L2 norm of all gradients together: sqrt(sum g^2). Accumulated in double so that summing ~10^8
// squares loses nothing and the thread count (which changes the summation order) moves the result
// only in its last bits.
// With touched_word_rows (ClassifierStep::touched_word_rows()), word-embedding rows outside it are
// known to be zero and not read: most of a small model's parameters are embedding rows a batch
// never touches.
double global_grad_norm(const ModelParams& grads, const std::vector<int32_t>* touched_word_rows = nullptr);
// The same over a flat array of n gradients.
double global_grad_norm(const float* grads, size_t n);

// The factor clip_grad_norm_ scales the gradients by: max_norm / (norm + 1e-6) when that is below 1
// (or NaN, which torch multiplies by too), else exactly 1. AdamW::step applies it on the fly, which
// saves a pass over the gradients.
float clip_coefficient(double norm, double max_norm);

// clip_grad_norm_: coef = max_norm / (norm + 1e-6), and the gradients are scaled by coef only when
// coef < 1 (torch multiplies by min(coef, 1), the same thing). Returns the norm before clipping,
// which is what HF logs as grad_norm. max_norm <= 0 disables clipping (the norm is still returned).
double clip_grad_norm(ModelParams& grads, double max_norm);

}  // namespace bertft
