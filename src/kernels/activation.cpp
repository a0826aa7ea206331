#include "kernels/activation.h"

#include <cmath>

#include "common/error.h"
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

void gelu_forward(float* out, const float* in, int64_t n) {
#pragma omp parallel for simd
  for (int64_t i = 0; i < n; i++) {
    const float x = in[i];
    out[i] = 0.5f * x * (1.0f + fast_erf(x * 0.70710678118654752f));
  }
}

void gelu_tanh_forward(float* out, const float* in, int64_t n) {
#pragma omp parallel for simd
  for (int64_t i = 0; i < n; i++) {
    const float x = in[i];
    out[i] = 0.5f * x * (1.0f + fast_tanh(0.79788456080286536f * (x + 0.044715f * x * x * x)));
  }
}

void relu_forward(float* out, const float* in, int64_t n) {
#pragma omp parallel for simd
  for (int64_t i = 0; i < n; i++) out[i] = in[i] > 0.0f ? in[i] : 0.0f;
}

void silu_forward(float* out, const float* in, int64_t n) {
#pragma omp parallel for simd
  for (int64_t i = 0; i < n; i++) out[i] = in[i] / (1.0f + fast_exp(-in[i]));
}

void tanh_forward(float* out, const float* in, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = std::tanh(in[i]);
}

void activation_forward(Activation activation, float* out, const float* in, int64_t n) {
  switch (activation) {
    case Activation::GeluErf: return gelu_forward(out, in, n);
    case Activation::GeluTanh: return gelu_tanh_forward(out, in, n);
    case Activation::Relu: return relu_forward(out, in, n);
    case Activation::Silu: return silu_forward(out, in, n);
  }
}

}  // namespace bertft
