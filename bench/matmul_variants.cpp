// The oneDNN measurements behind kernels/matmul.cpp's design (docs/speed.md): bf16 matmul
// primitives with fixed vs runtime shapes, runtime leading dimensions, and fused epilogues (bias,
// GELU, bf16 output), at BERT's shapes, against fp32 sgemm. Prints one line per variant.
//   build/bench_matmul_variants   (OMP_NUM_THREADS sets the threads; the project machine used 2)
#include <dnnl.h>

#include <chrono>
#include <cstdio>
#include <oneapi/dnnl/dnnl.hpp>
#include <vector>

namespace {

using dnnl::memory;
using dt = memory::data_type;
constexpr int64_t kRuntime = DNNL_RUNTIME_DIM_VAL;

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Seconds per call of f, after two warm-up calls, over at least 0.3 s.
template <class F>
double time_per_call(F&& f) {
  f();
  f();
  int calls = 0;
  const double start = now();
  do {
    f();
    calls++;
  } while (now() - start < 0.3);
  return (now() - start) / calls;
}

struct Variant {
  const char* name;
  bool runtime_shape;   // M, N, K (and leading dimensions) given at execution
  bool runtime_strides; // both strides runtime, unit stride included
  bool bias, gelu, bf16_out;
};

// out[M, N] = in[M, K] · weight[N, K]^T in bf16 with the variant's options; GFLOP/s and the
// implementation oneDNN picked.
void run(const dnnl::engine& engine, dnnl::stream& stream, const Variant& v, int64_t M, int64_t N, int64_t K) {
  const int64_t m = v.runtime_shape ? kRuntime : M, n = v.runtime_shape ? kRuntime : N, k = v.runtime_shape ? kRuntime : K;
  auto strides = [&](int64_t rows_stride, bool transposed) {
    if (v.runtime_strides) return memory::dims{kRuntime, kRuntime};
    return transposed ? memory::dims{1, rows_stride} : memory::dims{rows_stride, 1};
  };
  const memory::desc a({m, k}, dt::bf16, strides(k, false));
  const memory::desc b({k, n}, dt::bf16, strides(k, true));
  const memory::desc c({m, n}, v.bf16_out ? dt::bf16 : dt::f32, strides(n, false));
  dnnl::primitive_attr attr;
  if (v.gelu) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_gelu_erf, 0.0f, 0.0f);
    attr.set_post_ops(ops);
  }
  const double created = now();
  const auto desc = v.bias ? dnnl::matmul::desc(a, b, memory::desc({1, n}, dt::f32, memory::dims{n == kRuntime ? kRuntime : n, 1}), c)
                           : dnnl::matmul::desc(a, b, c);
  const dnnl::matmul::primitive_desc pd(desc, attr, engine);
  const dnnl::matmul primitive(pd);
  const double create_ms = 1000 * (now() - created);
  std::vector<uint16_t> a_data(M * K, 0x3f80), b_data(N * K, 0x3f80);
  std::vector<float> c_data(M * N), bias(N, 1.0f);
  memory a_mem({{M, K}, dt::bf16, memory::dims{K, 1}}, engine, a_data.data());
  memory b_mem({{K, N}, dt::bf16, memory::dims{1, K}}, engine, b_data.data());
  memory c_mem({{M, N}, v.bf16_out ? dt::bf16 : dt::f32, memory::dims{N, 1}}, engine, c_data.data());
  memory bias_mem({{1, N}, dt::f32, memory::dims{N, 1}}, engine, bias.data());
  const double s = time_per_call([&] {
    primitive.execute(stream, {{DNNL_ARG_SRC, a_mem}, {DNNL_ARG_WEIGHTS, b_mem}, {DNNL_ARG_DST, c_mem}, {DNNL_ARG_BIAS, bias_mem}});
  });
  std::printf("| bf16 %-34s | %5lld x %5lld x %5lld | %6.1f | %8.2f | %s |\n", v.name, static_cast<long long>(M),
              static_cast<long long>(N), static_cast<long long>(K), 2.0 * M * N * K / s / 1e9, create_ms,
              pd.impl_info_str());
}

void run_sgemm(int64_t M, int64_t N, int64_t K) {
  std::vector<float> a(M * K, 1.0f), b(N * K, 1.0f), c(M * N);
  const double s = time_per_call([&] { dnnl_sgemm('N', 'T', M, N, K, 1.0f, a.data(), K, b.data(), K, 0.0f, c.data(), N); });
  std::printf("| fp32 dnnl_sgemm                         | %5lld x %5lld x %5lld | %6.1f |        - | sgemm |\n",
              static_cast<long long>(M), static_cast<long long>(N), static_cast<long long>(K), 2.0 * M * N * K / s / 1e9);
}

}  // namespace

int main() {
  const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  const Variant variants[] = {
      {"fixed shape", false, false, true, false, false},
      {"runtime shape (bertft)", true, false, true, false, false},
      {"runtime shape, runtime unit strides", true, true, true, false, false},
      {"runtime shape, fused GELU", true, false, true, true, false},
      {"runtime shape, bf16 output", true, false, true, false, true},
  };
  std::printf("| variant | M x N x K | GFLOP/s | create ms | oneDNN implementation |\n|---|---|---|---|---|\n");
  for (const int64_t H : {768, 256}) {
    const int64_t M = 1024, N = 4 * H, K = H;  // the FFN's first product for 8 x 128 tokens
    run_sgemm(M, N, K);
    for (const Variant& v : variants) {
      if (v.runtime_strides) {  // ~1000x slower (a reference implementation): a small shape shows it
        if (H == 768) run(engine, stream, v, 256, 256, 256);
        continue;
      }
      run(engine, stream, v, M, N, K);
    }
  }
  return 0;
}
