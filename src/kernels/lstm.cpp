#include "kernels/lstm.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "common/multiversion.h"
#include "kernels/bf16.h"
#include "kernels/linear.h"
#include "kernels/matmul.h"
#include "kernels/vector_math.h"

namespace bertft {
namespace {

inline float sigmoid(float x) { return 1.0f / (1.0f + fast_exp(-x)); }

// The time index of step s of a sequence of n steps.
inline int64_t time_of(int64_t s, int64_t n, bool reverse) { return reverse ? n - 1 - s : s; }

// The calling thread's share of the batch's rows, [begin, end).
struct RowShare {
  int64_t begin, end, steps;  // steps: the longest sequence of the share
};
RowShare row_share(const int32_t* lengths, int64_t B) {
  const int64_t n = omp_get_num_threads(), k = omp_get_thread_num();
  RowShare share{B * k / n, B * (k + 1) / n, 0};
  for (int64_t b = share.begin; b < share.end; b++) share.steps = std::max<int64_t>(share.steps, lengths[b]);
  return share;
}

// The recurrence of lstm_forward, once cache.gates holds every step's input product (with b_ih).
BERTFT_HOT_LOOP void recurrence_forward(float* h_out, int64_t ldh, const LstmCache& cache, const int32_t* lengths,
                                        const float* w_hh, const float* b_hh, int64_t B, int64_t T, int64_t H,
                                        bool reverse) {
  const int64_t G = 4 * H;
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < B; b++)
    for (int64_t t = 0; t < T; t++) {
      float* gate = cache.gates + (b * T + t) * G;
#pragma omp simd
      for (int64_t j = 0; j < G; j++) gate[j] += b_hh[j];
      if (t >= lengths[b]) {  // padded: zero output, and finite values where backward multiplies by zero
        std::memset(h_out + (b * T + t) * ldh, 0, sizeof(float) * H);
        std::memset(cache.h_prev + (b * T + t) * H, 0, sizeof(float) * H);
        std::memset(cache.cell + (b * T + t) * H, 0, sizeof(float) * H);
      }
    }
#pragma omp parallel
  {
    const RowShare share = row_share(lengths, B);
    const int64_t rows = share.end - share.begin;
    std::vector<float> h(rows * H, 0.0f), c(rows * H, 0.0f), recurrent(rows * G);
    for (int64_t s = 0; s < share.steps; s++) {
      // recurrent[rows, 4H] = h · w_hh^T: one product for the share (single-threaded in a parallel region)
      matmul_forward(recurrent.data(), h.data(), w_hh, rows, G, H);
      for (int64_t r = 0; r < rows; r++) {
        const int64_t b = share.begin + r, n = lengths[b];
        if (s >= n) continue;
        const int64_t row = b * T + time_of(s, n, reverse);
        float* gate = cache.gates + row * G;
        const float* rec = recurrent.data() + r * G;
        float* hr = h.data() + r * H;
        float* cr = c.data() + r * H;
        std::memcpy(cache.h_prev + row * H, hr, sizeof(float) * H);
        float* cell = cache.cell + row * H;
        float* out = h_out + row * ldh;
#pragma omp simd
        for (int64_t j = 0; j < H; j++) {
          const float i = sigmoid(gate[j] + rec[j]);
          const float f = sigmoid(gate[H + j] + rec[H + j]);
          const float g = fast_tanh(gate[2 * H + j] + rec[2 * H + j]);
          const float o = sigmoid(gate[3 * H + j] + rec[3 * H + j]);
          const float ct = f * cr[j] + i * g;
          gate[j] = i;
          gate[H + j] = f;
          gate[2 * H + j] = g;
          gate[3 * H + j] = o;
          cell[j] = cr[j] = ct;
          out[j] = hr[j] = o * fast_tanh(ct);
        }
      }
    }
  }
}

// dgates[B, T, 4H] of lstm_backward: the gradients before the activations, zero at padded steps.
BERTFT_HOT_LOOP void recurrence_backward(float* dgates, const float* dh_out, int64_t ldh, const LstmCache& cache,
                                         const int32_t* lengths, const float* w_hh, int64_t B, int64_t T, int64_t H,
                                         bool reverse) {
  const int64_t G = 4 * H;
#pragma omp parallel
  {
#pragma omp for schedule(static)
    for (int64_t row = 0; row < B * T; row++) std::memset(dgates + row * G, 0, sizeof(float) * G);
    const RowShare share = row_share(lengths, B);
    const int64_t rows = share.end - share.begin;
    // dh, dc: the gradients reaching step s from step s + 1 (zero before a sequence's last step)
    std::vector<float> dh(rows * H, 0.0f), dc(rows * H, 0.0f), dg(rows * G);
    for (int64_t s = share.steps - 1; s >= 0; s--) {
      for (int64_t r = 0; r < rows; r++) {
        const int64_t b = share.begin + r, n = lengths[b];
        float* dgr = dg.data() + r * G;
        if (s >= n) {  // not started yet: adds nothing to the product below
          std::memset(dgr, 0, sizeof(float) * G);
          continue;
        }
        const int64_t row = b * T + time_of(s, n, reverse);
        const float* gate = cache.gates + row * G;
        const float* cell = cache.cell + row * H;
        const float* cell_prev = s == 0 ? nullptr : cache.cell + (b * T + time_of(s - 1, n, reverse)) * H;
        const float* dho = dh_out + row * ldh;
        float* dhr = dh.data() + r * H;
        float* dcr = dc.data() + r * H;
#pragma omp simd
        for (int64_t j = 0; j < H; j++) {
          const float i = gate[j], f = gate[H + j], g = gate[2 * H + j], o = gate[3 * H + j];
          const float tc = fast_tanh(cell[j]);
          const float dht = dhr[j] + dho[j];
          const float dct = dcr[j] + dht * o * (1.0f - tc * tc);
          const float cp = cell_prev ? cell_prev[j] : 0.0f;
          dgr[j] = dct * g * i * (1.0f - i);
          dgr[H + j] = dct * cp * f * (1.0f - f);
          dgr[2 * H + j] = dct * i * (1.0f - g * g);
          dgr[3 * H + j] = dht * tc * o * (1.0f - o);
          dcr[j] = dct * f;
        }
        std::memcpy(dgates + row * G, dgr, sizeof(float) * G);
      }
      // dh_{t-1}[rows, H] = dgates_t · w_hh
      matmul_backward_input(dh.data(), dg.data(), w_hh, rows, G, H, 0.0f);
    }
  }
}

}  // namespace

void lstm_forward(float* h_out, int64_t ldh, const LstmCache& cache, const float* x, const int32_t* lengths,
                  const float* w_ih, const float* w_hh, const float* b_ih, const float* b_hh, int64_t B, int64_t T,
                  int64_t I, int64_t H, bool reverse) {
  // Every step's input product at once (padded steps too: cheaper than gathering the real ones).
  linear_forward(cache.gates, x, w_ih, b_ih, B * T, 4 * H, I);
  recurrence_forward(h_out, ldh, cache, lengths, w_hh, b_hh, B, T, H, reverse);
}

void lstm_forward(float* h_out, int64_t ldh, const LstmCache& cache, const bf16* x, const int32_t* lengths,
                  const bf16* w_ih, const float* w_hh, const float* b_ih, const float* b_hh, int64_t B, int64_t T,
                  int64_t I, int64_t H, bool reverse) {
  linear_forward(cache.gates, x, w_ih, b_ih, B * T, 4 * H, I);
  recurrence_forward(h_out, ldh, cache, lengths, w_hh, b_hh, B, T, H, reverse);
}

void lstm_backward(float* dx, float dx_beta, float* dw_ih, float* dw_hh, float* db_ih, float* db_hh, float* dgates,
                   const float* dh_out, int64_t ldh, const LstmCache& cache, const float* x, const int32_t* lengths,
                   const float* w_ih, const float* w_hh, int64_t B, int64_t T, int64_t I, int64_t H, bool reverse) {
  const int64_t G = 4 * H;
  recurrence_backward(dgates, dh_out, ldh, cache, lengths, w_hh, B, T, H, reverse);
  matmul_backward_weight(dw_ih, dgates, x, B * T, G, I, 1.0f);
  matmul_backward_weight(dw_hh, dgates, cache.h_prev, B * T, G, H, 1.0f);
  bias_backward(db_ih, dgates, B * T, G);
  bias_backward(db_hh, dgates, B * T, G);
  matmul_backward_input(dx, dgates, w_ih, B * T, G, I, dx_beta);
}

void lstm_backward(float* dx, float dx_beta, float* dw_ih, float* dw_hh, float* db_ih, float* db_hh, float* dgates,
                   bf16* scratch, const float* dh_out, int64_t ldh, const LstmCache& cache, const bf16* x,
                   const int32_t* lengths, const bf16* w_ih, const float* w_hh, int64_t B, int64_t T, int64_t I,
                   int64_t H, bool reverse) {
  const int64_t G = 4 * H;
  recurrence_backward(dgates, dh_out, ldh, cache, lengths, w_hh, B, T, H, reverse);
  bf16* dgates_bf16 = scratch;
  bf16* h_prev_bf16 = scratch + B * T * G;
  to_bf16(dgates_bf16, dgates, B * T * G);
  to_bf16(h_prev_bf16, cache.h_prev, B * T * H);
  matmul_backward_weight(dw_ih, dgates_bf16, x, B * T, G, I, 1.0f);
  matmul_backward_weight(dw_hh, dgates_bf16, h_prev_bf16, B * T, G, H, 1.0f);
  bias_backward(db_ih, dgates, B * T, G);
  bias_backward(db_hh, dgates, B * T, G);
  matmul_backward_input(dx, dgates_bf16, w_ih, B * T, G, I, dx_beta);
}

}  // namespace bertft
