#include "kernels/int8_linear.h"

// GCC 12's AVX-512 headers start many intrinsics from _mm512_undefined_*(), which it then reports as
// uninitialised once inlined (GCC bug 105593); the diagnostics point into the header, silenced here alone.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#pragma GCC diagnostic pop
#include <omp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstring>
#include <ctime>
#include <utility>

#include "common/multiversion.h"

// Two kernels compute the product from the same packed weights (docs/int8.md, Kernel):
// - an AVX512-VNNI one (vpdpbusd: 64 u8 x s8 multiply-adds into 16 int32 lanes per instruction), compiled
//   for that target whatever the build's -march, and chosen at run time when the CPU has it;
// - a portable one in plain loops the compiler vectorises, for every other x86-64 CPU.
// The VNNI kernel was measured against oneDNN 2.6's int8 matmul (u8 x s8 -> s32) at BERT's shapes
// with bench/int8_linear.cpp (docs/int8.md, Kernel). oneDNN's product alone is 1.03-1.37x faster than
// this whole call, but it has no per-row zero points, so its int32 output needs a second pass for them,
// the scales and the bias; with that pass it took 0.99-2.04x this call's time (Zen 5, one thread). The
// call is 1.6-2.1x as fast as the bf16 path (to_bf16 + oneDNN bf16 matmul) at 1024-4096 rows, 60-79% of
// the measured int8 peak (int8_peak_gops).
#define BERTFT_VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))

namespace bertft {

namespace {

// Output columns per packed block: one zmm of int32 accumulators.
constexpr int64_t kBlock = 16;
// The microkernel's register tile: kRows input rows x kBlocks column blocks of 16, so 24 zmm
// accumulators; each step of 4 k's loads 4 weight vectors and broadcasts 6 input words for 24 vpdpbusd.
constexpr int kRows = 6, kBlocks = 4;
// Rows of a thread's tile: kRowsPerTile x 64 int32 sums stay in registers a microkernel at a time,
// while the tile's 64-column weight panel stays in L2 for all its rows.
constexpr int64_t kRowsPerTile = 8 * kRows;

std::atomic<bool> portable_forced{false};

bool cpu_has_vnni() {
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
                          __builtin_cpu_supports("avx512vnni");
  return has;
}

bool use_vnni() { return cpu_has_vnni() && !portable_forced.load(std::memory_order_relaxed); }

int64_t round_up(int64_t x, int64_t to) { return (x + to - 1) / to * to; }

// The 4 inputs x[k..k+3] as one little-endian word, zeros past the row's end (the packed weights are
// zero there too, so these lanes add nothing).
uint32_t input_word(const uint8_t* x, int64_t k, int64_t K) {
  uint32_t word = 0;
  std::memcpy(&word, x + k, static_cast<size_t>(std::min<int64_t>(4, K - k)));
  return word;
}

// ---- AVX512-VNNI ----

// acc[r][b] (16 int32 lanes) = sum_k x[r][k] * w[b][k][lane] for rows x + r * K and column blocks
// w + b * block_stride of the packed layout, then the epilogue writes out[r][16 b + lane] in fp32.
// The loops over rows and blocks are unrolled by pragma: -O2 leaves them rolled, and then the
// accumulators live in memory instead of registers (a quarter of the speed).
template <int Rows, int Blocks>
BERTFT_VNNI_TARGET void vnni_tile(float* out, int64_t ldo, int64_t columns_left, const uint8_t* x, int64_t K,
                                  const int8_t* w, int64_t block_stride, const float* row_scale,
                                  const int32_t* row_zero, const float* w_scale, const int32_t* w_row_sum,
                                  const float* bias) {
  __m512i acc[Rows][Blocks];
  #pragma GCC unroll 16
  for (int r = 0; r < Rows; r++)
    #pragma GCC unroll 16
    for (int b = 0; b < Blocks; b++) acc[r][b] = _mm512_setzero_si512();
  const int64_t full_words = K / 4;
  for (int64_t kw = 0; kw < full_words; kw++) {
    __m512i wv[Blocks];
    #pragma GCC unroll 16
    for (int b = 0; b < Blocks; b++) wv[b] = _mm512_loadu_si512(w + b * block_stride + kw * 64);
    #pragma GCC unroll 16
    for (int r = 0; r < Rows; r++) {
      int32_t word;
      std::memcpy(&word, x + r * K + kw * 4, 4);
      const __m512i xv = _mm512_set1_epi32(word);
      #pragma GCC unroll 16
      for (int b = 0; b < Blocks; b++) acc[r][b] = _mm512_dpbusd_epi32(acc[r][b], xv, wv[b]);
    }
  }
  if (K % 4) {
    const int64_t kw = full_words;
    #pragma GCC unroll 16
    for (int r = 0; r < Rows; r++) {
      const __m512i xv = _mm512_set1_epi32(static_cast<int32_t>(input_word(x + r * K, kw * 4, K)));
      #pragma GCC unroll 16
      for (int b = 0; b < Blocks; b++)
        acc[r][b] = _mm512_dpbusd_epi32(acc[r][b], xv, _mm512_loadu_si512(w + b * block_stride + kw * 64));
    }
  }
  // out = row_scale * w_scale * (acc - row_zero * w_row_sum) + bias; the last block may be partial.
  #pragma GCC unroll 16
  for (int b = 0; b < Blocks; b++) {
    const int64_t columns = std::min<int64_t>(kBlock, columns_left - b * kBlock);
    const __mmask16 mask = columns >= kBlock ? __mmask16(0xFFFF) : __mmask16((1u << columns) - 1);
    const __m512 scale = _mm512_loadu_ps(w_scale + b * kBlock);
    const __m512i sum = _mm512_loadu_si512(w_row_sum + b * kBlock);
    const __m512 bias_v = bias ? _mm512_maskz_loadu_ps(mask, bias + b * kBlock) : _mm512_setzero_ps();
    #pragma GCC unroll 16
    for (int r = 0; r < Rows; r++) {
      const __m512i exact = _mm512_sub_epi32(acc[r][b], _mm512_mullo_epi32(_mm512_set1_epi32(row_zero[r]), sum));
      const __m512 scaled = _mm512_mul_ps(_mm512_set1_ps(row_scale[r]), scale);
      _mm512_mask_storeu_ps(out + r * ldo + b * kBlock, mask,
                            _mm512_fmadd_ps(_mm512_cvtepi32_ps(exact), scaled, bias_v));
    }
  }
}

using TileFn = void (*)(float*, int64_t, int64_t, const uint8_t*, int64_t, const int8_t*, int64_t, const float*,
                        const int32_t*, const float*, const int32_t*, const float*);

template <int Rows, int... Blocks>
constexpr auto tiles_for_rows(std::integer_sequence<int, Blocks...>) {
  return std::array<TileFn, kBlocks>{&vnni_tile<Rows, Blocks + 1>...};
}
template <int... Rows>
constexpr auto all_tiles(std::integer_sequence<int, Rows...>) {
  return std::array<std::array<TileFn, kBlocks>, kRows>{tiles_for_rows<Rows + 1>(std::make_integer_sequence<int, kBlocks>())...};
}
// kVnniTiles[rows - 1][blocks - 1]: the microkernel for the edges of the output as well as its inside.
constexpr auto kVnniTiles = all_tiles(std::make_integer_sequence<int, kRows>());

// clamp(round(x / scale) + zero, 0, 255) for 16 floats: x / scale as in the definition (x * (1 / scale)
// rounds differently at some ties), rounded to nearest even as nearbyint does in the default mode.
BERTFT_VNNI_TARGET inline __m128i quantize_16(__m512 x, __m512 scale, __m512i zero) {
  const __m512i rounded = _mm512_cvt_roundps_epi32(_mm512_div_ps(x, scale), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m512i shifted = _mm512_add_epi32(rounded, zero);
  return _mm512_cvtepi32_epi8(_mm512_min_epi32(_mm512_max_epi32(shifted, _mm512_setzero_si512()), _mm512_set1_epi32(255)));
}

// Row m of quantize_rows. The OpenMP loop over rows stays outside the target function: clang outlines a
// parallel region into a function of its own, without the target's instruction sets.
BERTFT_VNNI_TARGET void quantize_row_vnni(QuantizedRows rows, const float* in, int64_t m, int64_t K) {
  const float* x = in + m * K;
  __m512 lo = _mm512_setzero_ps(), hi = _mm512_setzero_ps();
  int64_t k = 0;
  for (; k + 16 <= K; k += 16) {
    const __m512 v = _mm512_loadu_ps(x + k);
    lo = _mm512_min_ps(lo, v);
    hi = _mm512_max_ps(hi, v);
  }
  const __mmask16 tail = static_cast<__mmask16>((1u << (K - k)) - 1);
  lo = _mm512_min_ps(lo, _mm512_maskz_loadu_ps(tail, x + k));
  hi = _mm512_max_ps(hi, _mm512_maskz_loadu_ps(tail, x + k));
  const float lo_s = _mm512_reduce_min_ps(lo), hi_s = _mm512_reduce_max_ps(hi);
  const float scale = hi_s > lo_s ? (hi_s - lo_s) / 255.0f : 1.0f;
  const int32_t zero = static_cast<int32_t>(std::nearbyint(-lo_s / scale));
  rows.scales[m] = scale;
  rows.zero_points[m] = zero;
  const __m512 scale_v = _mm512_set1_ps(scale);
  const __m512i zero_v = _mm512_set1_epi32(zero);
  uint8_t* q = rows.values + m * K;
  for (k = 0; k + 16 <= K; k += 16)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + k), quantize_16(_mm512_loadu_ps(x + k), scale_v, zero_v));
  _mm_mask_storeu_epi8(q + k, tail, quantize_16(_mm512_maskz_loadu_ps(tail, x + k), scale_v, zero_v));
}

void quantize_rows_vnni(QuantizedRows rows, const float* in, int64_t M, int64_t K) {
#pragma omp parallel for schedule(static)
  for (int64_t m = 0; m < M; m++) quantize_row_vnni(rows, in, m, K);
}

// ---- portable ----

BERTFT_HOT_LOOP void quantize_rows_portable(QuantizedRows rows, const float* in, int64_t M, int64_t K) {
#pragma omp parallel for schedule(static)
  for (int64_t m = 0; m < M; m++) {
    const float* x = in + m * K;
    float lo = 0, hi = 0;
#pragma omp simd reduction(min : lo) reduction(max : hi)
    for (int64_t k = 0; k < K; k++) {
      lo = std::min(lo, x[k]);
      hi = std::max(hi, x[k]);
    }
    const float scale = hi > lo ? (hi - lo) / 255.0f : 1.0f;
    const int32_t zero = static_cast<int32_t>(std::nearbyint(-lo / scale));
    rows.scales[m] = scale;
    rows.zero_points[m] = zero;
    for (int64_t k = 0; k < K; k++) {
      const float v = std::nearbyint(x[k] / scale) + static_cast<float>(zero);
      rows.values[m * K + k] = static_cast<uint8_t>(std::clamp(v, 0.0f, 255.0f));
    }
  }
}

// The same sums as vnni_tile for one row and one column block, in loops over the packed layout.
BERTFT_HOT_LOOP void portable_block(float* out, int64_t columns, const uint8_t* x, int64_t K, const int8_t* w,
                                    float row_scale, int32_t row_zero, const float* w_scale,
                                    const int32_t* w_row_sum, const float* bias) {
  // lane[2 c + h] sums inputs k = 4 kw + 2 h + {0, 1} times weights (k, c): the packed order, so that
  // the inner loop runs over 64 consecutive weight bytes against the input word repeated 16 times,
  // in pairs of products as the compiler's int16 multiply-add instructions take them (exact in int32).
  int32_t lane[2 * kBlock] = {};
  for (int64_t kw = 0; kw < (K + 3) / 4; kw++) {
    uint32_t word = 0;  // input_word(x, 4 kw, K), with a constant-size copy for whole words
    std::memcpy(&word, x + kw * 4, kw * 4 + 4 <= K ? 4 : static_cast<size_t>(K - kw * 4));
    uint32_t word_repeated[kBlock];
    std::fill_n(word_repeated, kBlock, word);
    uint8_t xk[4 * kBlock];
    std::memcpy(xk, word_repeated, sizeof xk);
    const int8_t* wk = w + kw * 4 * kBlock;
    for (int i = 0; i < 2 * kBlock; i++) lane[i] += xk[2 * i] * wk[2 * i] + xk[2 * i + 1] * wk[2 * i + 1];
  }
  for (int64_t c = 0; c < columns; c++) {
    const int32_t acc = lane[2 * c] + lane[2 * c + 1];
    out[c] = row_scale * w_scale[c] * static_cast<float>(acc - row_zero * w_row_sum[c]) + (bias ? bias[c] : 0.0f);
  }
}

}  // namespace

void quantize_weight_per_channel(int8_t* q, float* scale, const float* weight, int64_t N, int64_t K) {
#pragma omp parallel for
  for (int64_t n = 0; n < N; n++) {
    const float* w = weight + n * K;
    float max_abs = 0;
    for (int64_t k = 0; k < K; k++) max_abs = std::max(max_abs, std::fabs(w[k]));
    scale[n] = max_abs > 0 ? max_abs / 127.0f : 1.0f;
    for (int64_t k = 0; k < K; k++) q[n * K + k] = static_cast<int8_t>(std::nearbyint(w[k] / scale[n]));
  }
}

// Packed layout: column blocks of 16, each [K/4 rounded up][16 columns][4 consecutive k] (the operand
// order of vpdpbusd), zero-padded past K and past N, so that every block and word is whole.
Int8Weight::Int8Weight(const int8_t* q, const float* scale, int64_t N, int64_t K)
    : n_(N),
      k_(K),
      q_(round_up(N, kBlock) * round_up(K, 4), 0),
      scale_(round_up(N, kBlock), 0.0f),
      q_row_sum_(round_up(N, kBlock), 0) {
  const int64_t block_stride = kBlock * round_up(K, 4);
  for (int64_t n = 0; n < N; n++) {
    int32_t sum = 0;
    int8_t* block = q_.data() + (n / kBlock) * block_stride + (n % kBlock) * 4;
    for (int64_t k = 0; k < K; k++) {
      sum += q[n * K + k];
      block[(k / 4) * 4 * kBlock + k % 4] = q[n * K + k];
    }
    q_row_sum_[n] = sum;
    scale_[n] = scale[n];
  }
}

void quantize_rows(QuantizedRows rows, const float* in, int64_t M, int64_t K) {
  if (use_vnni())
    quantize_rows_vnni(rows, in, M, K);
  else
    quantize_rows_portable(rows, in, M, K);
}

void int8_linear_forward(float* out, const float* in, const Int8Weight& weight, const float* bias, int64_t M,
                         QuantizedRows scratch) {
  const int64_t N = weight.n_, K = weight.k_;
  if (M <= 0 || N <= 0) return;
  quantize_rows(scratch, in, M, K);
  const int64_t block_stride = kBlock * round_up(K, 4);
  const int64_t panels = (N + kBlocks * kBlock - 1) / (kBlocks * kBlock), row_tiles = (M + kRowsPerTile - 1) / kRowsPerTile;
  const bool vnni = use_vnni();
  // A thread's tiles run along N for the same rows, so its input rows stay in cache while the weights stream.
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t tile = 0; tile < row_tiles; tile++)
    for (int64_t panel = 0; panel < panels; panel++) {
      const int64_t n0 = panel * kBlocks * kBlock, columns = std::min(kBlocks * kBlock, N - n0);
      const int64_t m_end = std::min(M, (tile + 1) * kRowsPerTile);
      const int8_t* w = weight.q_.data() + (n0 / kBlock) * block_stride;
      const float* w_scale = weight.scale_.data() + n0;
      const int32_t* w_row_sum = weight.q_row_sum_.data() + n0;
      const float* panel_bias = bias ? bias + n0 : nullptr;
      for (int64_t m = tile * kRowsPerTile; m < m_end; m += kRows) {
        const int64_t rows = std::min<int64_t>(kRows, m_end - m);
        if (vnni) {
          kVnniTiles[rows - 1][(columns + kBlock - 1) / kBlock - 1](
              out + m * N + n0, N, columns, scratch.values + m * K, K, w, block_stride, scratch.scales + m,
              scratch.zero_points + m, w_scale, w_row_sum, panel_bias);
          continue;
        }
        for (int64_t r = m; r < m + rows; r++)
          for (int64_t b = 0; b * kBlock < columns; b++)
            portable_block(out + r * N + n0 + b * kBlock, std::min(kBlock, columns - b * kBlock), scratch.values + r * K,
                           K, w + b * block_stride, scratch.scales[r], scratch.zero_points[r], w_scale + b * kBlock,
                           w_row_sum + b * kBlock, panel_bias ? panel_bias + b * kBlock : nullptr);
      }
    }
}

void int8_linear_force_portable(bool forced) { portable_forced.store(forced, std::memory_order_relaxed); }

bool int8_linear_uses_vnni() { return use_vnni(); }

namespace {

double thread_cpu_seconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// Independent vpdpbusd chains per thread: more than latency x throughput (12 reach the peak on Zen 5).
constexpr int kPeakChains = 16;

// The instructions are written in asm: from the intrinsic, GCC 12 copies the accumulators between
// registers (and memory) every iteration and measures half the peak.
BERTFT_VNNI_TARGET int32_t vnni_peak_loop(int64_t iterations) {
  __m512i acc[kPeakChains];
#pragma GCC unroll 32
  for (int i = 0; i < kPeakChains; i++) acc[i] = _mm512_set1_epi32(i);
  const __m512i a = _mm512_set1_epi8(1), b = _mm512_set1_epi8(-1);
  for (int64_t it = 0; it < iterations; it++)
#pragma GCC unroll 32
    for (int i = 0; i < kPeakChains; i++) asm("vpdpbusd %2, %1, %0" : "+v"(acc[i]) : "v"(a), "v"(b));
  __m512i total = acc[0];
#pragma GCC unroll 32
  for (int i = 1; i < kPeakChains; i++) total = _mm512_add_epi32(total, acc[i]);
  return _mm512_reduce_add_epi32(total);
}

}  // namespace

double int8_peak_gops() {
  if (!cpu_has_vnni()) return 0;
  // Rates from each thread's own CPU time, best of several rounds: the machine may be shared, and a
  // thread that waits for a CPU is not slower while it runs.
  constexpr int64_t kIterations = 1 << 17;
  constexpr int kRounds = 20;
  double total = 0;
#pragma omp parallel reduction(+ : total)
  {
    double best = 0;
    for (int round = 0; round < kRounds; round++) {
      const double start = thread_cpu_seconds();
      const int32_t result = vnni_peak_loop(kIterations);
      asm volatile("" : : "r"(result));  // the loop's result is used, so it is not optimised away
      best = std::max(best, kIterations * kPeakChains * 64 * 2 / (thread_cpu_seconds() - start));
    }
    total = best / 1e9;
  }
  return total;
}

}  // namespace bertft
