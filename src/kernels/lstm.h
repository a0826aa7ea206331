#pragma once
// One direction of one torch.nn.LSTM layer over a batch of padded sequences, with the semantics of a
// packed sequence (pack_padded_sequence): sequence b runs over its first lengths[b] steps, from its
// first step (forward) or from its last real one (reverse), starting from zero states; its outputs at
// padded steps are zero and nothing is computed from them. PyTorch's gate order and layout:
//   gates = x_t · w_ih^T + b_ih + h_{t-1} · w_hh^T + b_hh    w_ih [4H, I], w_hh [4H, H], b_* [4H]
//   i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of the four H-wide parts
//   c_t = f * c_{t-1} + i * g,   h_t = o * tanh(c_t)
// The input products of all steps are one matrix product; the recurrence runs in parallel over the
// batch, each thread stepping its share of the sequences together.
#include <cstdint>

#include "common/float_convert.h"

namespace bertft {

// What the backward pass needs from the forward pass, each [B, T, ...] (the caller's buffers).
struct LstmCache {
  float* gates;   // [B, T, 4H] i, f, g, o after their activations
  float* cell;    // [B, T, H] c_t
  float* h_prev;  // [B, T, H] the hidden state step t started from (zero at padded steps)
};

// h_out[B, T, ldh] (columns [0, H) of each row written, so a bidirectional layer's two directions can
// share one [B, T, 2H] buffer) from x[B, T, I] and lengths[B] (each in [0, T]).
void lstm_forward(float* h_out, int64_t ldh, const LstmCache& cache, const float* x, const int32_t* lengths,
                  const float* w_ih, const float* w_hh, const float* b_ih, const float* b_hh, int64_t B,
                  int64_t T, int64_t I, int64_t H, bool reverse);

// Backward of lstm_forward given dh_out[B, T, ldh] (columns [0, H) read; padded steps ignored):
//   dx[B, T, I]  = dx_beta * dx + dLoss/dx        (dx_beta 1: the other direction's share is there)
//   dw_ih, dw_hh, db_ih, db_hh  +=
// dgates[B, T, 4H] is scratch (overwritten: the gradients before the activations).
void lstm_backward(float* dx, float dx_beta, float* dw_ih, float* dw_hh, float* db_ih, float* db_hh, float* dgates,
                   const float* dh_out, int64_t ldh, const LstmCache& cache, const float* x, const int32_t* lengths,
                   const float* w_ih, const float* w_hh, int64_t B, int64_t T, int64_t I, int64_t H, bool reverse);

// bf16 mixed precision: the products with the input (x · w_ih^T; backward: dw_ih, dw_hh and dx) take
// bf16 operands with fp32 accumulation, x and w_ih rounded by the caller; these are most of the work
// and run about twice as fast (docs/baseline.md). The recurrence, h_{t-1} · w_hh^T, stays fp32: its
// per-step products are small enough to gain little, and rounding h at every step would compound
// along the sequence. scratch holds B * T * 5H bf16 values (overwritten).
void lstm_forward(float* h_out, int64_t ldh, const LstmCache& cache, const bf16* x, const int32_t* lengths,
                  const bf16* w_ih, const float* w_hh, const float* b_ih, const float* b_hh, int64_t B, int64_t T,
                  int64_t I, int64_t H, bool reverse);
void lstm_backward(float* dx, float dx_beta, float* dw_ih, float* dw_hh, float* db_ih, float* db_hh, float* dgates,
                   bf16* scratch, const float* dh_out, int64_t ldh, const LstmCache& cache, const bf16* x,
                   const int32_t* lengths, const bf16* w_ih, const float* w_hh, int64_t B, int64_t T, int64_t I,
                   int64_t H, bool reverse);

}  // namespace bertft
