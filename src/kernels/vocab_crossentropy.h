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
// With draws [M] (uniform in [0, 1)), also samples a class from each row's softmax before the
// gradient overwrites it (ELECTRA's generator proposing replacements): sampled[m] is the first class v
// whose cumulative probability p_0 + ... + p_v exceeds draws[m] (the inverse of the distribution
// function, cumulated in double).
VocabLoss vocab_crossentropy_forward_backward(float* logits, const int32_t* targets, int64_t M, int64_t V,
                                              float scale, const float* draws = nullptr,
                                              int32_t* sampled = nullptr);

}  // namespace bertft
