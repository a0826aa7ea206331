#include "kernels/activation.h"

#include <cmath>
#include <cstdint>

#include "common/error.h"
#include "common/multiversion.h"
#include "kernels/vector_math.h"

namespace bertft {

Activation activation_from_name(const std::string& hidden_act) {
  if (hidden_act == "gelu") return Activation::GeluErf;
  if (hidden_act == "gelu_new" || hidden_act == "gelu_pytorch_tanh") return Activation::GeluTanh;
  if (hidden_act == "relu") return Activation::Relu;
  if (hidden_act == "silu" || hidden_act == "swish") return Activation::Silu;
  throw Error("config.json: field 'hidden_act': '" + hidden_act +
              "' is not supported (use gelu, gelu_new, gelu_pytorch_tanh, relu or silu)");
}

namespace {

inline float gelu(float x) { return 0.5f * x * (1.0f + fast_erf(x * 0.70710678118654752f)); }
inline float gelu_tanh(float x) {
  return 0.5f * x * (1.0f + fast_tanh(0.79788456080286536f * (x + 0.044715f * x * x * x)));
}
inline float relu(float x) { return x > 0.0f ? x : 0.0f; }
inline float silu(float x) { return x / (1.0f + fast_exp(-x)); }

inline void store(float* out, int64_t i, float y) { out[i] = y; }
inline void store(bf16* out, int64_t i, float y) { reinterpret_cast<uint16_t*>(out)[i] = f32_to_bf16(y); }

// f a lambda (not a function pointer), so it inlines into the vectorised loop.
template <class Out, class F>
BERTFT_HOT_LOOP void map(Out* out, const float* in, int64_t n, F f) {
#pragma omp parallel for simd
  for (int64_t i = 0; i < n; i++) store(out, i, f(in[i]));
}

template <class Out>
void activation_forward_any(Activation activation, Out* out, const float* in, int64_t n) {
  switch (activation) {
    case Activation::GeluErf: return map(out, in, n, [](float x) { return gelu(x); });
    case Activation::GeluTanh: return map(out, in, n, [](float x) { return gelu_tanh(x); });
    case Activation::Relu: return map(out, in, n, [](float x) { return relu(x); });
    case Activation::Silu: return map(out, in, n, [](float x) { return silu(x); });
  }
}

}  // namespace

void gelu_forward(float* out, const float* in, int64_t n) { map(out, in, n, [](float x) { return gelu(x); }); }
void gelu_tanh_forward(float* out, const float* in, int64_t n) { map(out, in, n, [](float x) { return gelu_tanh(x); }); }
void relu_forward(float* out, const float* in, int64_t n) { map(out, in, n, [](float x) { return relu(x); }); }
void silu_forward(float* out, const float* in, int64_t n) { map(out, in, n, [](float x) { return silu(x); }); }

void tanh_forward(float* out, const float* in, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = std::tanh(in[i]);
}

void activation_forward(Activation activation, float* out, const float* in, int64_t n) {
  activation_forward_any(activation, out, in, n);
}

void activation_forward(Activation activation, bf16* out, const float* in, int64_t n) {
  activation_forward_any(activation, out, in, n);
}

// d/dx [x Phi(x)] = Phi(x) + x phi(x)
BERTFT_HOT_LOOP void gelu_backward(float* din, const float* dout, const float* in, int64_t n) {
#pragma omp parallel for simd
  for (int64_t i = 0; i < n; i++) {
    const float x = in[i];
    const float cdf = 0.5f * (1.0f + fast_erf(x * 0.70710678118654752f));
    const float pdf = 0.39894228040143268f * fast_exp(-0.5f * x * x);
    din[i] = dout[i] * (cdf + x * pdf);
  }
}

BERTFT_HOT_LOOP void gelu_tanh_backward(float* din, const float* dout, const float* in, int64_t n) {
#pragma omp parallel for simd
  for (int64_t i = 0; i < n; i++) {
    const float x = in[i];
    const float k = 0.79788456080286536f;
    // 1 + tanh(u) = 2 s and 1 - tanh(u) = 2 e s with e = exp(-2u), s = 1 / (1 + e): no cancellation
    // in the tails, where 1 +- tanh(u) computed from tanh(u) would round to 0.
    const float e = fast_exp(-2.0f * k * (x + 0.044715f * x * x * x));
    const float s = 1.0f / (1.0f + e);
    const float one_plus_t = 2.0f * s, one_minus_t = 2.0f * e * s;
    const float d = 0.5f * one_plus_t + 0.5f * x * (one_plus_t * one_minus_t) * k * (1.0f + 3.0f * 0.044715f * x * x);
    din[i] = dout[i] * d;
  }
}

void relu_backward(float* din, const float* dout, const float* in, int64_t n) {
#pragma omp parallel for simd
  for (int64_t i = 0; i < n; i++) din[i] = in[i] > 0.0f ? dout[i] : 0.0f;
}

// d/dx [x s(x)] = s (1 + x (1 - s))
BERTFT_HOT_LOOP void silu_backward(float* din, const float* dout, const float* in, int64_t n) {
#pragma omp parallel for simd
  for (int64_t i = 0; i < n; i++) {
    const float x = in[i];
    const float s = 1.0f / (1.0f + fast_exp(-x));
    din[i] = dout[i] * s * (1.0f + x * (1.0f - s));
  }
}

void activation_backward(Activation activation, float* din, const float* dout, const float* in, int64_t n) {
  switch (activation) {
    case Activation::GeluErf: return gelu_backward(din, dout, in, n);
    case Activation::GeluTanh: return gelu_tanh_backward(din, dout, in, n);
    case Activation::Relu: return relu_backward(din, dout, in, n);
    case Activation::Silu: return silu_backward(din, dout, in, n);
  }
}

void tanh_backward(float* din, const float* dout, const float* out, int64_t n) {
  for (int64_t i = 0; i < n; i++) din[i] = dout[i] * (1.0f - out[i] * out[i]);
}

}  // namespace bertft
