#include "training/classifier_step.h"

#include <stdexcept>
#include <string>

#include "common/arena.h"
#include "common/error.h"
#include "common/profile.h"
#include "kernels/classifier_head.h"
#include "kernels/dropout.h"

namespace bertft {

namespace {

constexpr uint64_t kPooledStream = (1ULL << 32) + 1;  // apart from EncoderStep's streams

}  // namespace

ClassifierStep::ClassifierStep(const ModelConfig& config, size_t max_tokens, int max_batch, Precision precision)
    : encoder_(config, max_tokens, max_batch, precision, EncoderOutput::kClsRows) {
  const int64_t H = config.hidden_size, B = max_batch, C = config.num_labels();
  storage_ = allocate_arena(
      [&](FloatArena& a) {
        pooled_ = a.take(B * H);
        dropped_ = a.take(B * H);
        dpooled_ = a.take(B * H);
        logits_ = a.take(B * C);
        dlogits_ = a.take(B * C);
      },
      [](size_t bytes) { return "cannot allocate " + std::to_string(bytes >> 20) + " MiB for the classifier head"; });
}

ClassifierStep::~ClassifierStep() = default;

void ClassifierStep::check_batch(const ModelParams& params, const ModelParams& grads, const Batch& batch) const {
  const ModelConfig& c = encoder_.config();
  if (!params.pool_w || !params.cls_w)
    throw std::logic_error("ClassifierStep needs parameters with the pooler and classifier heads");
  if (!grads.pool_w || !grads.cls_w)
    throw std::logic_error("ClassifierStep: gradients must have the parameters' config and heads");
  const TensorSpec* cls = params.find("classifier.weight");
  if (!cls || cls->shape != std::vector<int64_t>{c.num_labels(), c.hidden_size})
    throw std::logic_error("ClassifierStep: parameters do not match the config");
  encoder_.check_batch(params, grads, batch);
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
  const int64_t H = c.hidden_size, C = c.num_labels();
  const uint64_t seed = opts.dropout_seed;
  const float* cls = encoder_.forward(params, batch, opts);
  float* dcls = encoder_.output_grad();
  const float cls_p = opts.classifier_dropout;
  float loss;
  {
    OpScope scope(Op::Head);
    pooler_forward(pooled_, cls, params.pool_w, params.pool_b, B, H);
    dropout_forward(dropped_, pooled_, B * H, cls_p, seed, kPooledStream);
    classifier_forward(logits_, dropped_, params.cls_w, params.cls_b, B, H, C);
    if (batch.targets.empty()) {
      loss = crossentropy_forward(logits_, batch.labels.data(), B, C);
      crossentropy_backward(dlogits_, logits_, batch.labels.data(), B, C, opts.grad_scale);
    } else {
      loss = crossentropy_soft_forward(logits_, batch.targets.data(), B, C);
      crossentropy_soft_backward(dlogits_, logits_, batch.targets.data(), B, C, opts.grad_scale);
    }
    classifier_backward(dpooled_, grads.cls_w, grads.cls_b, dlogits_, dropped_, params.cls_w, B, H, C);
    dropout_backward(dpooled_, dpooled_, B * H, cls_p, seed, kPooledStream);
    pooler_backward(opts.train_encoder ? dcls : nullptr, grads.pool_w, grads.pool_b, dpooled_, pooled_, cls,
                    params.pool_w, B, H);
  }
  if (opts.on_grads_final) opts.on_grads_final(grads.pool_w);  // the pooler and the classifier after it
  if (opts.train_encoder) encoder_.backward(params, grads, batch, opts);
  return loss;
}

}  // namespace bertft
