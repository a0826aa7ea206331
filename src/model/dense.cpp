#include "model/dense.h"

#include <stdexcept>

#include "common/profile.h"
#include "kernels/bf16.h"
#include "kernels/linear.h"

namespace bertft {

void Dense::refresh_bf16() const {
  if (w_b16_) to_bf16(w_b16_, w_, out_ * in_);
}

Dense Dense::rows(int64_t first, int64_t count) const {
  if (w_i8_) throw std::logic_error("Dense::rows of an int8 layer");
  return Dense(w_ + first * in_, b_ ? b_ + first : nullptr, count, in_, w_b16_ ? w_b16_ + first * in_ : nullptr);
}

void Dense::forward(float* y, Operand x, int64_t rows) const {
  if (w_i8_) {
    OpScope scope(Op::Linear);
    int8_linear_forward(y, x.f32, *w_i8_, b_, rows, scratch_);
    return;
  }
  if (!w_b16_) {
    OpScope scope(Op::Linear);
    linear_forward(y, x.f32, w_, b_, rows, out_, in_);
    return;
  }
  if (x.f32) {
    OpScope scope(Op::Convert);
    to_bf16(x.b16, x.f32, rows * in_);
  }
  OpScope scope(Op::Linear);
  linear_forward(y, x.b16, w_b16_, b_, rows, out_, in_);
}

void Dense::backward(float* dx, float dx_beta, float* dw, float* db, const float* dy, Operand x, int64_t rows,
                     bf16* dy_scratch) const {
  if (w_i8_) throw std::logic_error("Dense::backward of an int8 layer");
  OpScope scope(Op::Linear);
  if (w_b16_)
    linear_backward(dx, dw, db, dy, dy_scratch, x.b16, w_b16_, rows, out_, in_, dx_beta);
  else
    linear_backward(dx, dw, db, dy, x.f32, w_, rows, out_, in_, dx_beta);
}

}  // namespace bertft
