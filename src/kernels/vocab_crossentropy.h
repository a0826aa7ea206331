#pragma once
// Softmax cross-entropy over a large number of classes (the masked-LM loss over the vocabulary),
// fused with its gradient so the [M, V] logits are read twice and written once.
#include <cstdint>

namespace bertft {

struct VocabLoss {
  double loss_sum = 0;  // sum over rows of logsumexp(logits[m]) - logits[m, targets[m]]
  int64_t correct = 0;  // rows whose largest logit is the target
};

// Overwrites logits[M, V] with scale * (softmax(logits[m]) - onehot(targets[m])) / M, which is the
// gradient of scale * mean loss (PyTorch F.cross_entropy, reduction "mean"). Rows run in parallel;
// each row's sum of exponentials is accumulated in double.
VocabLoss vocab_crossentropy_forward_backward(float* logits, const int32_t* targets, int64_t M, int64_t V,
                                              float scale);

}  // namespace bertft
