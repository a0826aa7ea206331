#include "kernels/matmul.h"

#include <dnnl.h>

#include <oneapi/dnnl/dnnl.hpp>
#include <stdexcept>
#include <unordered_map>
#include <string>

namespace bertft {

namespace {

constexpr int64_t kRuntime = DNNL_RUNTIME_DIM_VAL;
using dnnl::memory;

// One oneDNN matmul primitive per variant (transpositions, accumulate, bias), every size and leading
// dimension a runtime argument: oneDNN's bf16 gemm then serves all shapes at full speed, and no
// primitive is created per shape.
class Bf16Matmuls {
 public:
  struct Variant {
    bool trans_a = false, trans_b = false, accumulate = false, bias = false;
    int index() const { return trans_a | trans_b << 1 | accumulate << 2 | bias << 3; }
  };

  // All 16 variants up front (a few ms): afterwards lookups need no lock, from any thread.
  Bf16Matmuls() : engine_(dnnl::engine::kind::cpu, 0) {
    for (int i = 0; i < kVariants; i++) primitives_[i] = create(Variant{(i & 1) != 0, (i & 2) != 0, (i & 4) != 0, (i & 8) != 0});
  }

  void run(const Variant& variant, int64_t M, int64_t N, int64_t K, const bf16* a, int64_t lda, const bf16* b,
           int64_t ldb, float* c, int64_t ldc, const float* bias) {
    const dnnl::matmul& primitive = primitives_[variant.index()];
    thread_local dnnl::stream stream(engine_);
    using dt = memory::data_type;
    memory a_mem({{M, K}, dt::bf16, variant.trans_a ? memory::dims{1, lda} : memory::dims{lda, 1}}, engine_,
                 const_cast<bf16*>(a));
    memory b_mem({{K, N}, dt::bf16, variant.trans_b ? memory::dims{1, ldb} : memory::dims{ldb, 1}}, engine_,
                 const_cast<bf16*>(b));
    memory c_mem({{M, N}, dt::f32, memory::dims{ldc, 1}}, engine_, c);
    std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, a_mem}, {DNNL_ARG_WEIGHTS, b_mem}, {DNNL_ARG_DST, c_mem}};
    if (bias)
      args.emplace(DNNL_ARG_BIAS, memory({{1, N}, dt::f32, memory::dims{N, 1}}, engine_, const_cast<float*>(bias)));
    primitive.execute(stream, args);
  }

 private:
  dnnl::matmul create(const Variant& v) {
    using dt = memory::data_type;
    const memory::dims rows{kRuntime, 1}, cols{1, kRuntime};
    const memory::desc a({kRuntime, kRuntime}, dt::bf16, v.trans_a ? cols : rows);
    const memory::desc b({kRuntime, kRuntime}, dt::bf16, v.trans_b ? cols : rows);
    const memory::desc c({kRuntime, kRuntime}, dt::f32, rows);
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);  // none is needed; never a shared one
    if (v.accumulate) {
      dnnl::post_ops ops;
      ops.append_sum(1.0f);
      attr.set_post_ops(ops);
    }
    const auto desc = v.bias ? dnnl::matmul::desc(a, b, memory::desc({1, kRuntime}, dt::f32, rows), c)
                             : dnnl::matmul::desc(a, b, c);
    return dnnl::matmul(dnnl::matmul::primitive_desc(desc, attr, engine_));
  }

  static constexpr int kVariants = 16;
  dnnl::engine engine_;
  dnnl::matmul primitives_[kVariants];
};

void run_bf16(const Bf16Matmuls::Variant& variant, int64_t M, int64_t N, int64_t K, const bf16* a, int64_t lda,
              const bf16* b, int64_t ldb, float* c, int64_t ldc, const float* bias) {
  static Bf16Matmuls matmuls;
  try {
    matmuls.run(variant, M, N, K, a, lda, b, ldb, c, ldc, bias);
  } catch (const dnnl::error& e) {
    throw std::runtime_error(std::string("oneDNN bf16 matmul failed: ") + e.what());
  }
}

}  // namespace

void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (M == 0 || N == 0) return;
  if (K == 0) {  // oneDNN requires K >= 1; the product is empty
    for (int64_t m = 0; m < M; m++)
      for (int64_t n = 0; n < N; n++) c[m * ldc + n] = beta == 0.0f ? 0.0f : beta * c[m * ldc + n];
    return;
  }
  const dnnl_status_t status = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', M, N, K, alpha, a,
                                          lda, b, ldb, beta, c, ldc);
  if (status != dnnl_success)
    throw std::runtime_error("dnnl_sgemm failed with status " + std::to_string(static_cast<int>(status)));
}

void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const bf16* a, int64_t lda,
          const bf16* b, int64_t ldb, float beta, float* c, int64_t ldc, const float* bias) {
  if (M == 0 || N == 0) return;
  if (K == 0) {
    for (int64_t m = 0; m < M; m++)
      for (int64_t n = 0; n < N; n++)
        c[m * ldc + n] = (beta == 0.0f ? 0.0f : c[m * ldc + n]) + (bias ? bias[n] : 0.0f);
    return;
  }
  if (beta != 0.0f && beta != 1.0f) throw std::logic_error("bf16 gemm: beta must be 0 or 1");
  Bf16Matmuls::Variant variant;
  variant.trans_a = trans_a;
  variant.trans_b = trans_b;
  variant.accumulate = beta != 0.0f;
  variant.bias = bias != nullptr;
  run_bf16(variant, M, N, K, a, lda, b, ldb, c, ldc, bias);
}



void matmul_forward(float* out, const bf16* in, const bf16* weight, const float* bias, int64_t M,
                    int64_t N, int64_t K) {
  gemm(false, true, M, N, K, in, K, weight, K, 0.0f, out, N, bias);
}

void matmul_backward_input(float* din, const bf16* dout, const bf16* weight, int64_t M, int64_t N,
                           int64_t K, float beta) {
  gemm(false, false, M, K, N, dout, N, weight, K, beta, din, K);
}

void matmul_backward_weight(float* dweight, const bf16* dout, const bf16* in, int64_t M, int64_t N,
                            int64_t K, float beta) {
  if (M == 0) return;
  gemm(true, false, N, K, M, dout, N, in, K, beta, dweight, K);
}

void matmul_forward(float* out, const float* in, const float* weight, int64_t M, int64_t N, int64_t K) {
  gemm(false, true, M, N, K, 1.0f, in, K, weight, K, 0.0f, out, N);
}

void matmul_backward_input(float* din, const float* dout, const float* weight, int64_t M, int64_t N,
                           int64_t K, float beta) {
  gemm(false, false, M, K, N, 1.0f, dout, N, weight, K, beta, din, K);
}

void matmul_backward_weight(float* dweight, const float* dout, const float* in, int64_t M, int64_t N,
                            int64_t K, float beta) {
  if (M == 0) return;
  gemm(true, false, N, K, M, 1.0f, dout, N, in, K, beta, dweight, K);
}

}  // namespace bertft
