// The measurements behind kernels/int8_linear.cpp's design (docs/int8.md, Kernel): at BERT's Linear
// shapes, in one run, the int8 Linear product (int8_linear_forward: row quantization, VNNI product,
// fused epilogue) against
//   - the bf16 path it replaces (to_bf16 of the input + oneDNN bf16 matmul with bias, kernels/matmul.cpp),
//   - oneDNN 2.6's own int8 matmul (u8 x s8 -> s32, fixed shape, weights reordered once to oneDNN's
//     preferred layout: its best case), alone and with the same row quantization and epilogue around it,
//   - the portable kernel (int8_linear_force_portable) at the small shapes;
// and attention's two products in bf16 against int8 (time_attention).
// GOPS count 2 operations per multiply-add; "of peak" divides by int8_peak_gops() measured at the start.
// Speeds are per CPU second of each thread (cpu_seconds_per_thread), so that a shared machine gives
// numbers near an idle one's; one column repeats the int8 / bf16 ratio on the wall clock.
//   cmake --build build --target bench_int8_linear && build/bench_int8_linear
//   (OMP_NUM_THREADS sets the threads; the project machine has 2)
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <oneapi/dnnl/dnnl.hpp>
#include <random>
#include <utility>
#include <vector>

#include "kernels/bf16.h"
#include "kernels/int8_linear.h"
#include "kernels/matmul.h"

namespace {

using namespace bertft;

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The process's CPU time (all threads) over the thread count: the time a call takes when each of its
// threads has a core to itself, however many other processes share the machine. Threads that wait
// at a barrier spin (and count) for a while, so a disturbed call still counts as slower.
double cpu_seconds_per_thread() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec)) / omp_get_max_threads();
}

struct Seconds {
  double cpu, wall;
};

// Seconds per call of f after two warm-up calls: the best of 8 rounds of at least 0.03 s each (the
// least disturbed), on each clock.
template <class F>
Seconds time_per_call(F&& f) {
  f();
  f();
  Seconds best{1e30, 1e30};
  for (int round = 0; round < 8; round++) {
    int calls = 0;
    const double cpu_start = cpu_seconds_per_thread(), wall_start = wall_seconds();
    do {
      f();
      calls++;
    } while (cpu_seconds_per_thread() - cpu_start < 0.03);
    best.cpu = std::min(best.cpu, (cpu_seconds_per_thread() - cpu_start) / calls);
    best.wall = std::min(best.wall, (wall_seconds() - wall_start) / calls);
  }
  return best;
}

std::vector<float> random_values(size_t n, float lo, float hi, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

struct Shape {
  const char* name;
  int64_t M, N, K;
};

struct OneDnnInt8 {
  Seconds product, total;
  std::string impl;
};

// oneDNN's u8 x s8 -> s32 matmul for this fixed shape, weights reordered once; total adds our row
// quantization before and the scale / zero-point / bias epilogue after, the work int8_linear_forward fuses.
OneDnnInt8 time_onednn_int8(const dnnl::engine& engine, dnnl::stream& stream, const Shape& s, const std::vector<float>& x,
                            const std::vector<int8_t>& q, const std::vector<float>& w_scale, const std::vector<float>& bias,
                            float* out) {
  using dnnl::memory;
  using dt = memory::data_type;
  const int64_t M = s.M, N = s.N, K = s.K;
  const memory::desc src_md({M, K}, dt::u8, memory::dims{K, 1});
  const memory::desc any_weights_md({K, N}, dt::s8, memory::format_tag::any);
  const memory::desc dst_md({M, N}, dt::s32, memory::dims{N, 1});
  const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src_md, any_weights_md, dst_md), engine);
  const dnnl::matmul matmul(pd);
  memory plain_weights({{K, N}, dt::s8, memory::dims{1, K}}, engine, const_cast<int8_t*>(q.data()));
  memory weights(pd.weights_desc(), engine);
  dnnl::reorder(plain_weights, weights).execute(stream, plain_weights, weights);
  std::vector<uint8_t> values(M * K);
  std::vector<float> row_scale(M);
  std::vector<int32_t> row_zero(M), acc(M * N), w_row_sum(N, 0);
  for (int64_t n = 0; n < N; n++)
    for (int64_t k = 0; k < K; k++) w_row_sum[n] += q[n * K + k];
  memory src(src_md, engine, values.data()), dst(dst_md, engine, acc.data());
  const QuantizedRows rows{values.data(), row_scale.data(), row_zero.data()};
  quantize_rows(rows, x.data(), M, K);
  auto product = [&] {
    matmul.execute(stream, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}});
    stream.wait();
  };
  OneDnnInt8 result;
  result.impl = pd.impl_info_str();
  result.product = time_per_call(product);
  result.total = time_per_call([&] {
    quantize_rows(rows, x.data(), M, K);
    product();
#pragma omp parallel for
    for (int64_t m = 0; m < M; m++)
      for (int64_t n = 0; n < N; n++)
        out[m * N + n] = row_scale[m] * w_scale[n] * static_cast<float>(acc[m * N + n] - row_zero[m] * w_row_sum[n]) + bias[n];
  });
  return result;
}

// Attention's two products per (sequence, head) as the encoder runs them, each thread taking whole heads:
// scores[T, T] = Q[T, 64] K^T and context[T, 64] = P[T, T] V, in bf16 (operands rounded, oneDNN gemm)
// against int8 by the same scheme as the dense layers. In int8 the keys and values change with every
// input, so quantizing and packing them (K as the "weight" of the first product, V^T of the second) is
// part of every call, as are Q's and P's row quantization. Returns {bf16, int8} seconds per layer.
std::pair<Seconds, Seconds> time_attention(int64_t heads, int64_t T, int64_t d) {
  const std::vector<float> q = random_values(heads * T * d, -2.0f, 2.0f, 4), k = random_values(heads * T * d, -2.0f, 2.0f, 5),
                           v = random_values(heads * T * d, -2.0f, 2.0f, 6), p = random_values(heads * T * T, 0.0f, 0.01f, 7);
  std::vector<float> scores(heads * T * T), context(heads * T * d);
  std::vector<bf16> q_b(q.size()), k_b(k.size()), v_b(v.size()), p_b(p.size());
  const Seconds bf16 = time_per_call([&] {
    to_bf16(q_b.data(), q.data(), static_cast<int64_t>(q.size()));
    to_bf16(k_b.data(), k.data(), static_cast<int64_t>(k.size()));
    to_bf16(v_b.data(), v.data(), static_cast<int64_t>(v.size()));
    to_bf16(p_b.data(), p.data(), static_cast<int64_t>(p.size()));
#pragma omp parallel for
    for (int64_t h = 0; h < heads; h++) {
      gemm(false, true, T, T, d, q_b.data() + h * T * d, d, k_b.data() + h * T * d, d, 0.0f, scores.data() + h * T * T, T);
      gemm(false, false, T, d, T, p_b.data() + h * T * T, T, v_b.data() + h * T * d, d, 0.0f,
           context.data() + h * T * d, d);
    }
  });
  const int threads = omp_get_max_threads();
  std::vector<std::vector<uint8_t>> values(threads, std::vector<uint8_t>(T * std::max(T, d)));
  std::vector<std::vector<float>> row_scale(threads, std::vector<float>(T)), w_scale(threads, std::vector<float>(std::max(T, d))),
      v_t(threads, std::vector<float>(d * T));
  std::vector<std::vector<int32_t>> row_zero(threads, std::vector<int32_t>(T));
  std::vector<std::vector<int8_t>> w_q(threads, std::vector<int8_t>(T * d));
  const Seconds int8 = time_per_call([&] {
#pragma omp parallel for
    for (int64_t h = 0; h < heads; h++) {
      const int t = omp_get_thread_num();
      const QuantizedRows rows{values[t].data(), row_scale[t].data(), row_zero[t].data()};
      quantize_weight_per_channel(w_q[t].data(), w_scale[t].data(), k.data() + h * T * d, T, d);
      const Int8Weight keys(w_q[t].data(), w_scale[t].data(), T, d);
      int8_linear_forward(scores.data() + h * T * T, q.data() + h * T * d, keys, nullptr, T, rows);
      for (int64_t j = 0; j < T; j++)
        for (int64_t c = 0; c < d; c++) v_t[t][c * T + j] = v[h * T * d + j * d + c];
      quantize_weight_per_channel(w_q[t].data(), w_scale[t].data(), v_t[t].data(), d, T);
      const Int8Weight values_t(w_q[t].data(), w_scale[t].data(), d, T);
      int8_linear_forward(context.data() + h * T * d, p.data() + h * T * T, values_t, nullptr, T, rows);
    }
  });
  return {bf16, int8};
}

}  // namespace

int main() {
  const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  const double peak = int8_peak_gops();
  std::printf("threads %d, int8 kernel: %s, measured int8 peak (vpdpbusd on registers): %.0f GOPS (%.0f per thread)\n\n",
              omp_get_max_threads(), int8_linear_uses_vnni() ? "AVX512-VNNI" : "portable", peak,
              peak / omp_get_max_threads());
  std::printf(
      "| layer | M x N x K | bf16 GFLOP/s | int8 GOPS | int8 of peak | int8 / bf16 speed | same, wall clock | "
      "oneDNN int8 product GOPS | oneDNN int8 + quantize + epilogue GOPS | ours / oneDNN full | portable int8 GOPS |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|\n");
  const Shape shapes[] = {
      {"base QKV, 8x128 tokens", 1024, 2304, 768},   {"base attn out", 1024, 768, 768},
      {"base FFN up", 1024, 3072, 768},              {"base FFN down", 1024, 768, 3072},
      {"base QKV, 8x512 tokens", 4096, 2304, 768},   {"base attn out", 4096, 768, 768},
      {"base FFN up", 4096, 3072, 768},              {"base FFN down", 4096, 768, 3072},
      {"base attn out, 8 CLS rows", 8, 768, 768},    {"base FFN up, 8 CLS rows", 8, 3072, 768},
      {"base FFN down, 64 CLS rows", 64, 768, 3072}, {"mini QKV, 8x128 tokens", 1024, 768, 256},
      {"mini FFN up", 1024, 1024, 256},              {"mini FFN down", 1024, 256, 1024},
  };
  for (const Shape& s : shapes) {
    const int64_t M = s.M, N = s.N, K = s.K;
    const double ops = 2.0 * M * N * K;
    const std::vector<float> x = random_values(M * K, -2.0f, 2.0f, 1), w = random_values(N * K, -0.1f, 0.1f, 2),
                             bias = random_values(N, -1.0f, 1.0f, 3);
    std::vector<float> out(M * N);

    std::vector<bf16> x_bf16(M * K), w_bf16(N * K);
    to_bf16(w_bf16.data(), w.data(), N * K);
    const Seconds bf16 = time_per_call([&] {
      to_bf16(x_bf16.data(), x.data(), M * K);
      matmul_forward(out.data(), x_bf16.data(), w_bf16.data(), bias.data(), M, N, K);
    });

    std::vector<int8_t> q(N * K);
    std::vector<float> w_scale(N);
    quantize_weight_per_channel(q.data(), w_scale.data(), w.data(), N, K);
    const Int8Weight weight(q.data(), w_scale.data(), N, K);
    std::vector<uint8_t> values(M * K);
    std::vector<float> row_scale(M);
    std::vector<int32_t> row_zero(M);
    const QuantizedRows scratch{values.data(), row_scale.data(), row_zero.data()};
    const Seconds int8 = time_per_call([&] { int8_linear_forward(out.data(), x.data(), weight, bias.data(), M, scratch); });

    const OneDnnInt8 onednn = time_onednn_int8(engine, stream, s, x, q, w_scale, bias, out.data());

    char portable[32] = "-";
    if (ops < 2e9 && int8_linear_uses_vnni()) {
      int8_linear_force_portable(true);
      const Seconds portable_s =
          time_per_call([&] { int8_linear_forward(out.data(), x.data(), weight, bias.data(), M, scratch); });
      int8_linear_force_portable(false);
      std::snprintf(portable, sizeof portable, "%.0f", ops / portable_s.cpu / 1e9);
    }
    std::printf("| %s | %lld x %lld x %lld | %.0f | %.0f | %.0f%% | %.2f | %.2f | %.0f | %.0f | %.2f | %s |\n", s.name,
                static_cast<long long>(M), static_cast<long long>(N), static_cast<long long>(K), ops / bf16.cpu / 1e9,
                ops / int8.cpu / 1e9, peak > 0 ? 100 * ops / int8.cpu / 1e9 / peak : 0.0, bf16.cpu / int8.cpu,
                bf16.wall / int8.wall, ops / onednn.product.cpu / 1e9, ops / onednn.total.cpu / 1e9,
                onednn.total.cpu / int8.cpu, portable);
    std::fflush(stdout);
    if (&s == &shapes[0]) std::fprintf(stderr, "oneDNN int8 implementation: %s\n", onednn.impl.c_str());
  }
  std::printf("\nAttention's two products, one BERT-base layer (8 sequences x 12 heads of 64), each thread whole heads:\n\n"
              "| tokens | bf16 ms | int8 ms (incl. quantizing Q, K, V, P) | int8 / bf16 speed |\n|---|---|---|---|\n");
  for (const int64_t T : {128, 512}) {
    const auto [bf16, int8] = time_attention(8 * 12, T, 64);
    std::printf("| %lld | %.2f | %.2f | %.2f |\n", static_cast<long long>(T), 1e3 * bf16.cpu, 1e3 * int8.cpu,
                bf16.cpu / int8.cpu);
  }
  return 0;
}
