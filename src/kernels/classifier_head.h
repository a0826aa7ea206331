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

// probs[C] = mean over the W rows of softmax(logits[W, C]): a text classified by its windows.
void mean_softmax_forward(float* probs, const float* logits, int64_t W, int64_t C);

// text_logits[C] for a text classified by its W windows: logits[0..C) itself when W == 1, else
// log(mean over the windows of softmax(logits[w])), whose softmax is mean_softmax_forward's
// probabilities; computed in log space, so a near-zero probability stays finite.
void mean_window_logits(float* text_logits, const float* logits, int64_t W, int64_t C);

// Mean softmax cross-entropy over the batch (PyTorch F.cross_entropy, reduction "mean"):
// mean_b [logsumexp(logits[b]) - logits[b, labels[b]]], accumulated in double.
float crossentropy_forward(const float* logits, const int32_t* labels, int64_t B, int64_t C);
// dlogits[B, C] = scale * (softmax(logits) - onehot(labels)) / B  (overwritten).
void crossentropy_backward(float* dlogits, const float* logits, const int32_t* labels, int64_t B,
                           int64_t C, float scale = 1.0f);

// The same with class probabilities as targets (knowledge distillation; PyTorch F.cross_entropy with
// probability targets): mean_b sum_c targets[b, c] * (logsumexp(logits[b]) - logits[b, c]).
float crossentropy_soft_forward(const float* logits, const float* targets, int64_t B, int64_t C);
// dlogits[B, C] = scale * (softmax(logits) - targets) / B  (overwritten).
void crossentropy_soft_backward(float* dlogits, const float* logits, const float* targets, int64_t B, int64_t C,
                                float scale = 1.0f);

// Backward of classifier_forward: dpooled[B, H] = dlogits · weight (overwritten; nullptr skips),
// dweight[C, H] += dlogits^T · pooled, dbias[C] += column sums of dlogits.
void classifier_backward(float* dpooled, float* dweight, float* dbias, const float* dlogits,
                         const float* pooled, const float* weight, int64_t B, int64_t H, int64_t C);

// Backward of pooler_forward given its output pooled[B, H] and input cls[B, H]: dpooled is
// overwritten (it ends holding the gradient before the tanh); dcls[B, H] = dLoss/dcls (overwritten;
// nullptr skips), dweight[H, H] += , dbias[H] += .
void pooler_backward(float* dcls, float* dweight, float* dbias, float* dpooled, const float* pooled,
                     const float* cls, const float* weight, int64_t B, int64_t H);

}  // namespace bertft
