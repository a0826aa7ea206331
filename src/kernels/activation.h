#pragma once
// Element-wise activations. Every kernel works in place when out == in.
#include <cstdint>
#include <string>

#include "common/float_convert.h"

namespace bertft {

enum class Activation { GeluErf, GeluTanh, Relu, Silu };

// Maps config.hidden_act to a kernel: "gelu" (exact, erf), "gelu_new" / "gelu_pytorch_tanh"
// (tanh approximation), "relu", "silu" / "swish". Throws Error for anything else.
Activation activation_from_name(const std::string& hidden_act);

// out[n] = 0.5 x (1 + erf(x / sqrt 2))
void gelu_forward(float* out, const float* in, int64_t n);
// out[n] = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
void gelu_tanh_forward(float* out, const float* in, int64_t n);
// out[n] = max(x, 0)
void relu_forward(float* out, const float* in, int64_t n);
// out[n] = x * sigmoid(x)
void silu_forward(float* out, const float* in, int64_t n);
// out[n] = tanh(x)  (the pooler's activation)
void tanh_forward(float* out, const float* in, int64_t n);

void activation_forward(Activation activation, float* out, const float* in, int64_t n);
// The same, rounded to bf16 on the way out (bf16 mixed precision: the output feeds a bf16 product).
void activation_forward(Activation activation, bf16* out, const float* in, int64_t n);

// Backward passes: din[n] = dout[n] * f'(in[n]), `in` being the forward input (pre-activation).
// din may alias dout.
void gelu_backward(float* din, const float* dout, const float* in, int64_t n);
void gelu_tanh_backward(float* din, const float* dout, const float* in, int64_t n);
void relu_backward(float* din, const float* dout, const float* in, int64_t n);
void silu_backward(float* din, const float* dout, const float* in, int64_t n);
void activation_backward(Activation activation, float* din, const float* dout, const float* in, int64_t n);

// Backward of tanh_forward from its OUTPUT: din[n] = dout[n] * (1 - out[n]^2). din may alias dout.
void tanh_backward(float* din, const float* dout, const float* out, int64_t n);

}  // namespace bertft
