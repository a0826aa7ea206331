#pragma once
// Additive attention pooling (Bahdanau et al. 2015, as Yang et al. 2016 pool a BiLSTM's words): a
// learned query scores every real step of a sequence and the sequence becomes the softmax-weighted
// sum of its rows.
//   u[B, T, A]    = tanh(h · w^T + bias)        w [A, D], bias [A]
//   score[b, t]   = u[b, t] · v                 v [A] (a Linear(A, 1) without bias)
//   alpha[b, t]   = softmax over t < lengths[b] of score[b, :], 0 at padded steps
//   context[b, D] = sum over t of alpha[b, t] * h[b, t]
// A sequence of length 0 gets a zero context.
#include <cstdint>

namespace bertft {

void additive_attention_forward(float* context, float* alpha, float* u, const float* h, const int32_t* lengths,
                                const float* w, const float* bias, const float* v, int64_t B, int64_t T, int64_t D,
                                int64_t A);

// Backward given dcontext[B, D]: dh[B, T, D] is overwritten; dw, dbias, dv +=; du[B, T, A] and
// dscore[B, T] are scratch.
void additive_attention_backward(float* dh, float* dw, float* dbias, float* dv, float* du, float* dscore,
                                 const float* dcontext,
                                 const float* alpha, const float* u, const float* h, const int32_t* lengths,
                                 const float* w, const float* v, int64_t B, int64_t T, int64_t D, int64_t A);

}  // namespace bertft
