#include "training/adamw.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <stdexcept>

#include "common/error.h"
#include "common/multiversion.h"
#include "model/safetensors.h"

namespace bertft {

bool is_weight_decayed(Role role) { return role != Role::Bias && role != Role::Norm; }

bool is_trained(const TensorSpec& spec, bool freeze_encoder) {
  return !spec.fixed && !(freeze_encoder && is_encoder_slot(spec.slot));
}

namespace {

// FNV-1a over "name[shape];" for every tensor: identifies the layout the moments belong to.
std::string layout_hash(const ModelParams& params) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](const std::string& s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
  };
  for (const TensorSpec& s : params.specs()) mix(s.name + shape_string(s.shape) + ";");
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

int64_t parse_count(const std::map<std::string, std::string>& meta, const std::string& key,
                    const std::string& path) {
  auto it = meta.find(key);
  if (it == meta.end()) fail_file(path, "not an AdamW state: metadata '" + key + "' is missing");
  try {
    size_t used = 0;
    const long long v = std::stoll(it->second, &used);
    if (used == it->second.size() && v >= 0) return v;
  } catch (const std::exception&) {
  }
  fail_file(path, "metadata '" + key + "' is not a non-negative integer: '" + it->second + "'");
}

}  // namespace

AdamW::AdamW(const ModelParams& params, AdamWOptions options)
    : options_(options), layout_(layout_hash(params)), m_(params.size(), 0.0f), v_(params.size(), 0.0f) {
  for (const TensorSpec& s : params.specs()) {
    if (!is_trained(s, options_.freeze_encoder)) continue;
    const bool decay = is_weight_decayed(s.role);
    if (!segments_.empty() && segments_.back().decay == decay && segments_.back().end == s.offset)
      segments_.back().end = s.offset + s.numel;
    else
      segments_.push_back({s.offset, s.offset + s.numel, decay});
  }
}

AdamW::AdamW(size_t numel, std::vector<Segment> segments, std::string layout, AdamWOptions options)
    : options_(options), segments_(std::move(segments)), layout_(std::move(layout)), m_(numel, 0.0f), v_(numel, 0.0f) {}

void AdamW::step(ModelParams& params, const ModelParams& grads, double lr, float grad_scale) {
  if (grads.size() != params.size()) throw Error("AdamW::step: parameter/gradient size differs from the optimizer state");
  step(params.data(), grads.data(), params.size(), lr, grad_scale);
}

BERTFT_HOT_LOOP void AdamW::step(float* params, const float* grads, size_t numel, double lr, float grad_scale) {
  if (numel != m_.size()) throw Error("AdamW::step: parameter/gradient size differs from the optimizer state");
  step_++;
  const AdamWOptions& o = options_;
  // The Python scalars of _single_tensor_adamw (double), then the fp32 values the kernels see.
  const double t = static_cast<double>(step_);
  const double bias_correction1 = 1 - std::pow(o.beta1, t);
  const double bias_correction2 = 1 - std::pow(o.beta2, t);
  const double step_size = lr / bias_correction1;
  const float bc2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
  const float b1 = static_cast<float>(o.beta1), one_minus_b1 = static_cast<float>(1 - o.beta1);
  const float b2 = static_cast<float>(o.beta2), one_minus_b2 = static_cast<float>(1 - o.beta2);
  const float eps = static_cast<float>(o.eps);
  const float neg_step_size = static_cast<float>(-step_size);
  const float decay_factor = static_cast<float>(1 - lr * o.weight_decay);

  float* p = params;
  const float* g = grads;
  float* m = m_.data();
  float* v = v_.data();
#pragma omp parallel
  for (const Segment& seg : segments_) {
    // The no-decay group has weight_decay 0: torch multiplies by exactly 1, i.e. does nothing.
    const float keep = seg.decay ? decay_factor : 1.0f;
    const ptrdiff_t begin = static_cast<ptrdiff_t>(seg.begin), end = static_cast<ptrdiff_t>(seg.end);
    // Elements are independent, so threads need not wait for each other between segments.
#pragma omp for simd schedule(static) nowait
    for (ptrdiff_t i = begin; i < end; i++) {
      const float pi = p[i] * keep;
      const float gi = g[i] * grad_scale;  // what clip_grad_norm_ would have left in the gradient
      const float mi = m[i] * b1 + one_minus_b1 * gi;
      const float vi = v[i] * b2 + one_minus_b2 * gi * gi;
      const float denom = std::sqrt(vi) / bc2_sqrt + eps;
      m[i] = mi;
      v[i] = vi;
      p[i] = pi + neg_step_size * (mi / denom);
    }
  }
}

void AdamW::set_state(std::vector<float> exp_avg, std::vector<float> exp_avg_sq, int64_t steps_taken) {
  if (exp_avg.size() != m_.size() || exp_avg_sq.size() != v_.size())
    throw std::logic_error("AdamW::set_state: moments of another size");
  m_ = std::move(exp_avg);
  v_ = std::move(exp_avg_sq);
  step_ = steps_taken;
}

void AdamW::save(const std::string& path) const {
  const int64_t n = static_cast<int64_t>(m_.size());
  write_safetensors(path, {{"exp_avg", {n}, m_.data()}, {"exp_avg_sq", {n}, v_.data()}}, DType::F32,
                    {{"format", "bertft-adamw"},
                     {"step", std::to_string(step_)},
                     {"numel", std::to_string(n)},
                     {"layout", layout_}});
}

void AdamW::load(const std::string& path) {
  SafetensorsFile file(path);
  const SafetensorsReader& r = file.reader();
  const auto& meta = r.metadata();
  const int64_t step = parse_count(meta, "step", path);
  const int64_t numel = parse_count(meta, "numel", path);
  if (static_cast<size_t>(numel) != m_.size())
    fail_file(path, "AdamW state is for " + std::to_string(numel) + " parameters, but the model has " +
                        std::to_string(m_.size()));
  auto layout = meta.find("layout");
  if (layout != meta.end() && layout->second != layout_)
    fail_file(path, "AdamW state was saved for a model with different tensor names or shapes");
  std::vector<float> m(m_.size()), v(v_.size());
  for (auto [name, out] : {std::pair{"exp_avg", &m}, std::pair{"exp_avg_sq", &v}}) {
    const SafetensorsEntry* e = r.find(name);
    if (!e) fail_file(path, std::string("not an AdamW state: tensor '") + name + "' is missing");
    if (e->dtype != "F32" || e->numel != out->size())
      fail_file(path, std::string("tensor '") + name + "' is " + e->dtype + shape_string(e->shape) +
                          ", expected F32[" + std::to_string(out->size()) + "]");
    r.read_f32(*e, out->data());
  }
  m_ = std::move(m);
  v_ = std::move(v);
  step_ = step;
}

}  // namespace bertft
