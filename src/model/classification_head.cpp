#include "model/classification_head.h"

#include <stdexcept>

#include "common/arena.h"
#include "common/profile.h"
#include "kernels/dropout.h"
#include "kernels/linear.h"

namespace bertft {

namespace {

// Apart from the encoder's streams (model/encoder.cpp).
constexpr uint64_t kActivationStream = (1ULL << 32) + 1;
constexpr uint64_t kFeatureStream = (1ULL << 32) + 2;

}  // namespace

ClassificationHead::ClassificationHead(const ModelConfig& config, int max_batch) : config_(config) {
  const int64_t H = config.hidden_size, B = max_batch;
  storage_ = allocate_arena(
      [&](FloatArena& a) {
        features_ = a.take(B * H);
        pre_ = a.take(B * H);
        act_ = a.take(B * H);
        dropped_ = a.take(B * H);
        d_dropped_ = a.take(B * H);
        d_pre_ = a.take(B * H);
      },
      [](size_t bytes) { return "cannot allocate " + std::to_string(bytes >> 20) + " MiB for the classification head"; });
}

ClassificationHead::~ClassificationHead() = default;

void ClassificationHead::forward(const ModelParams& params, const float* first, int B, float* logits, float p,
                                 uint64_t seed) {
  if (!params.head_dense_w || !params.head_out_w)
    throw std::logic_error("ClassificationHead needs a model loaded with the classification head");
  OpScope scope(Op::Head);
  const Architecture& arch = config_.arch();
  const int64_t H = config_.hidden_size, C = config_.num_labels();
  const float* features = first;
  if (arch.head_dropout_before_dense && p > 0) {
    dropout_forward(features_, first, B * H, p, seed, kFeatureStream);
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

void ClassificationHead::backward(const ModelParams& params, ModelParams& grads, const float* first, int B,
                                  const float* dlogits, float* dfirst, float p, uint64_t seed) {
  OpScope scope(Op::Head);
  const Architecture& arch = config_.arch();
  const int64_t H = config_.hidden_size, C = config_.num_labels();
  const bool dropout_before = arch.head_dropout_before_dense && p > 0;
  linear_backward(d_dropped_, grads.head_out_w, grads.head_out_b, dlogits, p > 0 ? dropped_ : act_,
                  params.head_out_w, B, C, H);
  if (p > 0) dropout_backward(d_dropped_, d_dropped_, B * H, p, seed, kActivationStream);
  switch (arch.head_activation) {
    case HeadActivation::Tanh: tanh_backward(d_pre_, d_dropped_, act_, B * H); break;
    case HeadActivation::Relu: relu_backward(d_pre_, d_dropped_, pre_, B * H); break;
    case HeadActivation::Gelu: gelu_backward(d_pre_, d_dropped_, pre_, B * H); break;
  }
  linear_backward(dfirst, grads.head_dense_w, grads.head_dense_b, d_pre_, dropout_before ? features_ : first,
                  params.head_dense_w, B, H, H);
  if (dfirst && dropout_before) dropout_backward(dfirst, dfirst, B * H, p, seed, kFeatureStream);
}

}  // namespace bertft
