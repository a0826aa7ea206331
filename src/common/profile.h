#pragma once
// Wall time per kind of operation, for `bertft bench`'s per-op profile. Off unless enabled; a
// disabled scope costs one branch. Scopes are opened on the calling thread only (outside OpenMP
// parallel regions) and must not nest.
#include <array>
#include <chrono>
#include <cstddef>

namespace bertft {

enum class Op : size_t {
  Embeddings,
  Linear,      // matrix products of the dense layers, with their biases
  Attention,   // scores, softmax, dropout and the product with values
  LayerNorm,   // residual add + LayerNorm
  Activation,  // GELU and friends
  Dropout,
  Convert,     // fp32 -> bf16 rounding of activations, gradients and weights; int8 quantization of weights
  Head,        // pooler, classifier, loss
  Optimizer,   // gradient clipping and AdamW
  Count
};

inline const char* op_name(Op op) {
  static const char* const names[] = {"embeddings", "linear", "attention", "layernorm", "activation",
                                      "dropout",    "convert", "head",     "optimizer"};
  return names[static_cast<size_t>(op)];
}

class OpProfile {
 public:
  static OpProfile& global() {
    static OpProfile instance;
    return instance;
  }
  void enable(bool on) { enabled_ = on; }
  bool enabled() const { return enabled_; }
  void reset() { seconds_.fill(0.0); }
  double seconds(Op op) const { return seconds_[static_cast<size_t>(op)]; }
  void add(Op op, double s) { seconds_[static_cast<size_t>(op)] += s; }

 private:
  bool enabled_ = false;
  std::array<double, static_cast<size_t>(Op::Count)> seconds_{};
};

// Adds the wall time from construction to destruction to `op` when profiling is enabled.
class OpScope {
 public:
  explicit OpScope(Op op) : op_(op), on_(OpProfile::global().enabled()) {
    if (on_) start_ = std::chrono::steady_clock::now();
  }
  ~OpScope() {
    if (on_)
      OpProfile::global().add(op_, std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  }
  OpScope(const OpScope&) = delete;
  OpScope& operator=(const OpScope&) = delete;

 private:
  Op op_;
  bool on_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace bertft
