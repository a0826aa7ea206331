#pragma once
// A Linear layer (PyTorch nn.Linear) in the precision of the run: fp32; bf16 mixed precision, where
// it keeps a bf16 copy of its weight and rounds each input as it reads it (fp32 accumulation, output
// and gradients, as PyTorch's autocast); or int8 inference, where it multiplies a quantized copy of
// its weight by its input quantized per row (kernels/int8_linear.h), with an fp32 output.
#include <cstdint>

#include "common/float_convert.h"
#include "kernels/int8_linear.h"

namespace bertft {

// An activation that feeds a product: its fp32 values and, in bf16 mode, the buffer holding (or about
// to hold) its rounded copy, kept for the backward pass. f32 == nullptr: the copy is already made.
struct Operand {
  const float* f32 = nullptr;
  bf16* b16 = nullptr;
};

class Dense {
 public:
  Dense() = default;
  // weight [out, in], bias [out] (may be nullptr); weight_b16: storage for out * in bf16 values, or
  // nullptr for fp32.
  Dense(const float* weight, const float* bias, int64_t out, int64_t in, bf16* weight_b16)
      : w_(weight), b_(bias), w_b16_(weight_b16), out_(out), in_(in) {}
  // int8 inference (forward only): the quantized weight, the fp32 bias [out] (may be nullptr), and
  // scratch for the quantized input rows (as many rows and in_features as any forward passes).
  Dense(const Int8Weight& weight, const float* bias, QuantizedRows scratch)
      : b_(bias), w_i8_(&weight), scratch_(scratch), out_(weight.out_features()), in_(weight.in_features()) {}

  bool bf16_mode() const { return w_b16_ != nullptr; }
  int64_t out_features() const { return out_; }
  int64_t in_features() const { return in_; }
  // Rounds the fp32 weight into the bf16 copy (after the optimizer changed it).
  void refresh_bf16() const;
  // Output rows [first, first + count) of the layer: the query or key/value part of a fused projection
  // (fp32 and bf16: an int8 weight is quantized as separate parts instead).
  Dense rows(int64_t first, int64_t count) const;

  // y[rows, out] = x[rows, in] · W^T + b. In bf16 mode x.f32 (when given) is rounded into x.b16 first;
  // int8 mode reads x.f32.
  void forward(float* y, Operand x, int64_t rows) const;
  // Given dy[rows, out]: dx[rows, in] = dx_beta * dx + dy · W (dx nullptr: skipped), dW += dy^T · x,
  // db += column sums of dy (db nullptr: skipped). bf16 mode reads x.b16 as forward left it and rounds
  // dy into dy_scratch ([rows, out] bf16). Not in int8 mode.
  void backward(float* dx, float dx_beta, float* dw, float* db, const float* dy, Operand x, int64_t rows,
                bf16* dy_scratch) const;

 private:
  const float* w_ = nullptr;
  const float* b_ = nullptr;
  bf16* w_b16_ = nullptr;
  const Int8Weight* w_i8_ = nullptr;
  QuantizedRows scratch_{};
  int64_t out_ = 0, in_ = 0;
};

}  // namespace bertft
