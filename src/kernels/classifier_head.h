#pragma once
// The sequence-classification head on top of the encoder: pooler, classifier, softmax.
#include <cstdint>

namespace bertft {

// pooled[B, H] = tanh(cls[B, H] · weight[H, H]^T + bias[H])   (HF BertPooler on the [CLS] rows)
void pooler_forward(float* pooled, const float* cls, const float* weight, const float* bias,
                    int64_t B, int64_t H);

// logits[B, C] = pooled[B, H] · weight[C, H]^T + bias[C]   (HF's classifier Linear)
void classifier_forward(float* logits, const float* pooled, const float* weight, const float* bias,
                        int64_t B, int64_t H, int64_t C);

// probs[B, C] = softmax over each row of logits[B, C]. probs may alias logits.
void softmax_forward(float* probs, const float* logits, int64_t B, int64_t C);

}  // namespace bertft
