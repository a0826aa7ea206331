#include "kernels/classifier_head.h"

#include "kernels/activation.h"
#include "kernels/linear.h"
#include "kernels/vector_math.h"

namespace bertft {

void pooler_forward(float* pooled, const float* cls, const float* weight, const float* bias,
                    int64_t B, int64_t H) {
  linear_forward(pooled, cls, weight, bias, B, H, H);
  tanh_forward(pooled, pooled, B * H);
}

void classifier_forward(float* logits, const float* pooled, const float* weight, const float* bias,
                        int64_t B, int64_t H, int64_t C) {
  linear_forward(logits, pooled, weight, bias, B, C, H);
}

void softmax_forward(float* probs, const float* logits, int64_t B, int64_t C) {
  for (int64_t b = 0; b < B; b++) {
    float* row = probs + b * C;
    if (row != logits + b * C)
      for (int64_t c = 0; c < C; c++) row[c] = logits[b * C + c];
    softmax_inplace(row, static_cast<int>(C));
  }
}

}  // namespace bertft
