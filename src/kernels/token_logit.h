#pragma once
// A per-token binary decision on top of the encoder (ELECTRA's replaced-token detection): a Linear to
// one output per token, and the binary cross-entropy on its logit.
#include <cstdint>

namespace bertft {

// logits[T] = x[T, H] · w[H] + b[0]   (nn.Linear(H, 1), squeezed: ELECTRA's dense_prediction)
void token_logit_forward(float* logits, const float* x, const float* w, const float* b, int64_t T, int64_t H);
// Backward of token_logit_forward: dx[T, H] = dlogits[T] ⊗ w (overwritten), dw[H] += dlogits^T · x,
// db[0] += sum of dlogits.
void token_logit_backward(float* dx, float* dw, float* db, const float* dlogits, const float* x, const float* w,
                          int64_t T, int64_t H);

struct BinaryLoss {
  double loss_sum = 0;  // sum over tokens of the binary cross-entropy
  int64_t correct = 0;  // tokens whose logit has their label's side: > 0 for 1, <= 0 for 0
};

// PyTorch's BCEWithLogits (reduction "mean") over T tokens with labels 0 / 1: per token
// max(z, 0) - z y + log(1 + exp(-|z|)), summed in double. dlogits[T] = scale * (sigmoid(z) - y) / T
// (overwritten), the gradient of scale * the mean.
BinaryLoss binary_crossentropy_forward_backward(float* dlogits, const float* logits, const uint8_t* labels, int64_t T,
                                                float scale);

}  // namespace bertft
