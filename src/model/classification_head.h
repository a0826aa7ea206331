#pragma once
// The sequence-classification head of every family, on the encoder's first-token rows (fp32):
//   BERT        pooler dense -> tanh -> dropout -> classifier
//   DistilBERT  pre_classifier -> ReLU -> dropout -> classifier
//   RoBERTa     dropout -> classifier.dense -> tanh -> dropout -> classifier.out_proj
//   ELECTRA     dropout -> classifier.dense -> GELU -> dropout -> classifier.out_proj
// (architecture.h: head_activation, head_dropout_before_dense). Dropout masks come from the step's
// seed, on streams of their own.
#include <cstdint>
#include <memory>

#include "kernels/activation.h"
#include "model/config.h"
#include "model/params.h"

namespace bertft {

class ClassificationHead {
 public:
  // Buffers for up to max_batch rows.
  ClassificationHead(const ModelConfig& config, int max_batch);
  ~ClassificationHead();

  // logits[B, num_labels] from first[B, H]; dropout p (0 in inference) with masks from seed. `first`
  // must stay unchanged until backward.
  void forward(const ModelParams& params, const float* first, int B, float* logits, float p, uint64_t seed);
  // Backward of the last forward given dlogits[B, num_labels]: ACCUMULATES the head's gradients into
  // grads and writes dLoss/dfirst into dfirst[B, H] (nullptr: skipped, e.g. a frozen encoder).
  void backward(const ModelParams& params, ModelParams& grads, const float* first, int B, const float* dlogits,
                float* dfirst, float p, uint64_t seed);

 private:
  ModelConfig config_;
  std::unique_ptr<float[]> storage_;
  float* features_;   // [B, H] dropout(first): the dense's input (RoBERTa, ELECTRA)
  float* pre_;        // [B, H] dense output
  float* act_;        // [B, H] activation output
  float* dropped_;    // [B, H] dropout(act): the output layer's input
  float* d_dropped_;  // [B, H]
  float* d_pre_;      // [B, H]
};

}  // namespace bertft
