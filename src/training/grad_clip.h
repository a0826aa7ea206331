#pragma once
// Gradient-norm clipping over every gradient of the model at once, as HF Trainer does with
// torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm).
#include "model/params.h"

namespace bertft {

// L2 norm of all gradients together: sqrt(sum g^2). Accumulated in double so that summing ~10^8
// squares loses nothing and the thread count (which changes the summation order) moves the result
// only in its last bits.
double global_grad_norm(const BertParams& grads);

// clip_grad_norm_: coef = max_norm / (norm + 1e-6), and the gradients are scaled by coef only when
// coef < 1 (torch multiplies by min(coef, 1), the same thing). Returns the norm before clipping,
// which is what HF logs as grad_norm. max_norm <= 0 disables clipping (the norm is still returned).
double clip_grad_norm(BertParams& grads, double max_norm);

}  // namespace bertft
