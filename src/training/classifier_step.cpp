#include "training/classifier_step.h"

#include <stdexcept>
#include <string>

#include "common/arena.h"
#include "common/error.h"
#include "common/profile.h"
#include "kernels/classifier_head.h"

namespace bertft {

ClassifierStep::ClassifierStep(const ModelConfig& config, size_t max_tokens, int max_batch, Precision precision)
    : encoder_(config, max_tokens, max_batch, precision, ClassificationHead::encoder_output(config)),
      head_(config, max_batch) {
  const int64_t B = max_batch, C = config.num_labels();
  storage_ = allocate_arena(
      [&](FloatArena& a) {
        logits_ = a.take(B * C);
        dlogits_ = a.take(B * C);
      },
      [](size_t bytes) { return "cannot allocate " + std::to_string(bytes >> 20) + " MiB for the classifier head"; });
}

ClassifierStep::~ClassifierStep() = default;

void ClassifierStep::check_batch(const ModelParams& params, const ModelParams& grads, const Batch& batch) const {
  const ModelConfig& c = encoder_.config();
  if (!params.head_out_w || !grads.head_out_w || grads.size() != params.size())
    throw std::logic_error("ClassifierStep needs parameters and gradients with the classification head");
  const TensorSpec* out = params.find(Slot::HeadOutWeight);
  if (out->shape != std::vector<int64_t>{c.num_labels(), c.hidden_size})
    throw std::logic_error("ClassifierStep: parameters do not match the config");
  encoder_.check_params(params);
  encoder_.check_tokens(batch.tokens());
  if (!batch.targets.empty() && batch.targets.size() != static_cast<size_t>(batch.num_seqs()) * c.num_labels())
    throw std::logic_error("ClassifierStep: the batch's targets are not [sequences, num_labels]");
  for (int b = 0; b < batch.num_seqs(); b++)
    if (batch.labels[b] < 0 || batch.labels[b] >= c.num_labels())
      throw Error("training batch: label " + std::to_string(batch.labels[b]) + " of sequence " + std::to_string(b) +
                  " is outside 0.." + std::to_string(c.num_labels() - 1));
}

float ClassifierStep::forward_backward(const ModelParams& params, ModelParams& grads, const Batch& batch,
                                       const StepOptions& opts) {
  check_batch(params, grads, batch);
  const ModelConfig& c = encoder_.config();
  const int B = batch.num_seqs();
  const int64_t C = c.num_labels();
  const PackedTokens tokens = batch.tokens();
  const float* hidden = encoder_.forward(params, tokens, opts);
  head_.forward(params, hidden, tokens, logits_, opts.classifier_dropout, opts.dropout_seed);
  float loss;
  {
    OpScope scope(Op::Head);
    if (batch.targets.empty()) {
      loss = crossentropy_forward(logits_, batch.labels.data(), B, C);
      crossentropy_backward(dlogits_, logits_, batch.labels.data(), B, C, opts.grad_scale);
    } else {
      loss = crossentropy_soft_forward(logits_, batch.targets.data(), B, C);
      crossentropy_soft_backward(dlogits_, logits_, batch.targets.data(), B, C, opts.grad_scale);
    }
  }
  head_.backward(params, grads, hidden, tokens, dlogits_, opts.train_encoder ? encoder_.output_grad() : nullptr,
                 opts.classifier_dropout, opts.dropout_seed);
  if (opts.on_grads_final) opts.on_grads_final(grads.head_dense_w);  // the head's tensors, last in the layout
  if (opts.train_encoder) encoder_.backward(params, grads, tokens, opts);
  return loss;
}

}  // namespace bertft
