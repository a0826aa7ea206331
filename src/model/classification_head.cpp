#include "model/classification_head.h"

#include <stdexcept>

#include "common/arena.h"
#include "common/profile.h"
#include "kernels/dropout.h"
#include "kernels/linear.h"
#include "kernels/pooling.h"

namespace bertft {

namespace {

// Apart from the encoder's streams (model/encoder.cpp).
constexpr uint64_t kActivationStream = (1ULL << 32) + 1;
constexpr uint64_t kFeatureStream = (1ULL << 32) + 2;

}  // namespace

ClassificationHead::ClassificationHead(const ModelConfig& config, int max_batch) : config_(config) {
  const int64_t H = config.hidden_size, B = max_batch;
  const bool pools = config.classifier_pooling != Pooling::Cls;
  storage_ = allocate_arena(
      [&](FloatArena& a) {
        pooled_ = pools ? a.take(B * H) : nullptr;
        d_pooled_ = pools ? a.take(B * H) : nullptr;
        features_ = a.take(B * H);
        pre_ = a.take(B * H);
        act_ = a.take(B * H);
        dropped_ = a.take(B * H);
        d_dropped_ = a.take(B * H);
        d_pre_ = a.take(B * H);
      },
      [](size_t bytes) { return "cannot allocate " + std::to_string(bytes >> 20) + " MiB for the classification head"; });
  if (config.classifier_pooling == Pooling::Max) max_rows_.resize(B * H);
}

ClassificationHead::~ClassificationHead() = default;

EncoderOutput ClassificationHead::encoder_output(const ModelConfig& config) {
  return config.classifier_pooling == Pooling::Cls ? EncoderOutput::kClsRows : EncoderOutput::kAllRows;
}

void ClassificationHead::forward(const ModelParams& params, const float* hidden, const PackedTokens& tokens,
                                 float* logits, float p, uint64_t seed) {
  if (!params.head_dense_w || !params.head_out_w)
    throw std::logic_error("ClassificationHead needs a model loaded with the classification head");
  OpScope scope(Op::Head);
  const Architecture& arch = config_.arch();
  const int64_t B = tokens.num_seqs(), H = config_.hidden_size, C = config_.num_labels();
  const int32_t* lengths = tokens.lengths.empty() ? nullptr : tokens.lengths.data();
  const float* rows = hidden;  // [B, H] one per sequence, the head's input
  switch (config_.classifier_pooling) {
    case Pooling::Cls: break;
    case Pooling::Mean:
      mean_pool_forward(pooled_, hidden, tokens.offsets.data(), lengths, B, H);
      rows = pooled_;
      break;
    case Pooling::Max:
      max_pool_forward(pooled_, max_rows_.data(), hidden, tokens.offsets.data(), lengths, B, H);
      rows = pooled_;
      break;
  }
  const float* features = rows;
  if (arch.head_dropout_before_dense && p > 0) {
    dropout_forward(features_, rows, B * H, p, seed, kFeatureStream);
    features = features_;
  }
  linear_forward(pre_, features, params.head_dense_w, params.head_dense_b, B, H, H);
  switch (arch.head_activation) {
    case HeadActivation::Tanh: tanh_forward(act_, pre_, B * H); break;
    case HeadActivation::Relu: relu_forward(act_, pre_, B * H); break;
    case HeadActivation::Gelu: gelu_forward(act_, pre_, B * H); break;
  }
  const float* out_input = act_;
  if (p > 0) {
    dropout_forward(dropped_, act_, B * H, p, seed, kActivationStream);
    out_input = dropped_;
  }
  linear_forward(logits, out_input, params.head_out_w, params.head_out_b, B, C, H);
}

void ClassificationHead::backward(const ModelParams& params, ModelParams& grads, const float* hidden,
                                  const PackedTokens& tokens, const float* dlogits, float* dhidden, float p,
                                  uint64_t seed) {
  OpScope scope(Op::Head);
  const Architecture& arch = config_.arch();
  const int64_t B = tokens.num_seqs(), H = config_.hidden_size, C = config_.num_labels();
  const int32_t* lengths = tokens.lengths.empty() ? nullptr : tokens.lengths.data();
  const bool pools = config_.classifier_pooling != Pooling::Cls;
  const bool dropout_before = arch.head_dropout_before_dense && p > 0;
  linear_backward(d_dropped_, grads.head_out_w, grads.head_out_b, dlogits, p > 0 ? dropped_ : act_,
                  params.head_out_w, B, C, H);
  if (p > 0) dropout_backward(d_dropped_, d_dropped_, B * H, p, seed, kActivationStream);
  switch (arch.head_activation) {
    case HeadActivation::Tanh: tanh_backward(d_pre_, d_dropped_, act_, B * H); break;
    case HeadActivation::Relu: relu_backward(d_pre_, d_dropped_, pre_, B * H); break;
    case HeadActivation::Gelu: gelu_backward(d_pre_, d_dropped_, pre_, B * H); break;
  }
  // dLoss/d(the head's input rows): straight into dhidden for cls, else into d_pooled_ and from there
  // back through the pooling.
  float* d_rows = pools && dhidden ? d_pooled_ : dhidden;
  linear_backward(d_rows, grads.head_dense_w, grads.head_dense_b, d_pre_,
                  dropout_before ? features_ : pools ? pooled_ : hidden, params.head_dense_w, B, H, H);
  if (!dhidden) return;
  if (dropout_before) dropout_backward(d_rows, d_rows, B * H, p, seed, kFeatureStream);
  switch (config_.classifier_pooling) {
    case Pooling::Cls: break;
    case Pooling::Mean: mean_pool_backward(dhidden, d_pooled_, tokens.offsets.data(), lengths, B, H); break;
    case Pooling::Max: max_pool_backward(dhidden, d_pooled_, max_rows_.data(), tokens.offsets.data(), B, H); break;
  }
}

}  // namespace bertft
