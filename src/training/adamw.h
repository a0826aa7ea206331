#pragma once
// torch.optim.AdamW (torch 1.13, single-tensor path) over the flat parameter array, with HF Trainer's
// two parameter groups: weight decay on everything except biases and LayerNorm weights (by role,
// model/architecture.h, as HF decides by module type: DistilBERT's sa_layer_norm is one).
#include <cstdint>
#include <string>
#include <vector>

#include "model/params.h"

namespace bertft {

struct AdamWOptions {
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.01;
  // --freeze-encoder: the embeddings and layers are left out of the update entirely (not even
  // decayed), as parameters with requires_grad=False are left out of a torch optimizer. Fixed
  // tensors (is_trained) always are.
  bool freeze_encoder = false;
};

// HF Trainer.get_decay_parameter_names: no decay for biases and LayerNorm weights (the embeddings,
// including the word embeddings, are decayed).
bool is_weight_decayed(Role role);
// Whether the optimizer updates the tensor: not a fixed one, and not the encoder's when it is frozen.
bool is_trained(const TensorSpec& spec, bool freeze_encoder);

class AdamW {
 public:
  // A run [begin, end) of the flat parameter array with one weight-decay setting.
  struct Segment {
    size_t begin, end;
    bool decay;
  };

  // Zero moments sized to `params`; the decay groups come from its tensor names.
  AdamW(const ModelParams& params, AdamWOptions options);
  // Zero moments for any flat array of `numel` parameters, of which `segments` are updated (the
  // baselines' models); `layout` identifies the tensors, for save and load.
  AdamW(size_t numel, std::vector<Segment> segments, std::string layout, AdamWOptions options);

  // One update with learning rate `lr` (from the schedule), in torch's order per element:
  //   p *= 1 - lr*wd;  m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g*g;
  //   p += -(lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
  // Scalars are formed in double as Python does and rounded to fp32 where torch rounds them.
  // g is grads * grad_scale (the clipping coefficient: see clip_coefficient), formed on the fly.
  void step(ModelParams& params, const ModelParams& grads, double lr, float grad_scale = 1.0f);
  // The same over a flat array of this optimizer's size.
  void step(float* params, const float* grads, size_t numel, double lr, float grad_scale = 1.0f);

  int64_t steps_taken() const { return step_; }
  const AdamWOptions& options() const { return options_; }
  const std::vector<float>& exp_avg() const { return m_; }
  const std::vector<float>& exp_avg_sq() const { return v_; }
  // Replaces the moments (of this optimizer's size) and the step count: another process's state.
  void set_state(std::vector<float> exp_avg, std::vector<float> exp_avg_sq, int64_t steps_taken);

  // State as safetensors: F32 tensors "exp_avg" and "exp_avg_sq" of shape [numel], metadata
  // "step", "numel" and "layout" (a hash of the tensor names and shapes, so a state cannot be
  // resumed onto a different model of the same size). Written atomically.
  void save(const std::string& path) const;
  // Replaces the state with the file's; throws Error("path: ...") if it does not fit this model.
  void load(const std::string& path);

 private:
  AdamWOptions options_;
  std::vector<Segment> segments_;
  std::string layout_;
  std::vector<float> m_, v_;
  int64_t step_ = 0;
};

}  // namespace bertft
