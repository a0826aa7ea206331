// bertft optim-check (hidden, for tests/integration/test_optimizer_parity): runs the optimizer part
// of a training step -- gradient clipping, learning-rate schedule, AdamW -- over given parameters and
// a given gradient sequence, so it can be compared with torch.optim.AdamW + LambdaLR +
// clip_grad_norm_ without a forward/backward pass in between. Prints one JSON line per step with the
// learning rate used and the pre-clip gradient norm; writes the final parameters (and optionally the
// optimizer state, to exercise save/load).
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/command.h"
#include "common/error.h"
#include "common/io.h"
#include "model/config.h"
#include "model/params.h"
#include "model/safetensors.h"
#include "training/adamw.h"
#include "training/grad_clip.h"
#include "training/schedule.h"

namespace {

struct OptimCheckArgs {
  std::string config, params, grads_dir, output, state_in, state_out;
  int steps = 0;
  int64_t total_steps = 0;  // 0: start step + steps
  double lr = 5e-5, weight_decay = 0.01, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, max_grad_norm = 1.0;
  double warmup_ratio = 0;
  int64_t warmup_steps = 0;
  std::string schedule = "linear";
};

// Fills every tensor of `params` from a safetensors file with the same HF names and shapes.
void read_params(const std::string& path, bertft::ModelParams& params) {
  bertft::SafetensorsFile file(path);
  const bertft::SafetensorsReader& r = file.reader();
  for (const bertft::TensorSpec& s : params.specs()) {
    const bertft::SafetensorsEntry* e = r.find(s.name);
    if (!e) bertft::fail_file(path, "tensor '" + s.name + "' is missing");
    if (e->shape != s.shape)
      bertft::fail_file(path, "tensor '" + s.name + "' has shape " + bertft::shape_string(e->shape) +
                                  ", expected " + bertft::shape_string(s.shape));
    r.read_f32(*e, params.tensor(s));
  }
}

void run_optim_check(const OptimCheckArgs& a) {
  bertft::check_output_file("--output", a.output);
  if (!a.state_out.empty()) bertft::check_output_file("--state-out", a.state_out);
  const bertft::ModelConfig config = bertft::load_config(a.config);
  const bertft::Heads heads{.pooler = true, .classifier = true, .mlm = false};
  bertft::ModelParams params(config, heads), grads(config, heads);
  read_params(a.params, params);
  bertft::AdamW opt(params, {.beta1 = a.beta1, .beta2 = a.beta2, .eps = a.eps, .weight_decay = a.weight_decay,
                             .freeze_encoder = false});
  if (!a.state_in.empty()) opt.load(a.state_in);
  const bertft::LrSchedule schedule = bertft::parse_lr_schedule(a.schedule);
  const int64_t start = opt.steps_taken();
  const int64_t total = a.total_steps > 0 ? a.total_steps : start + a.steps;
  const int64_t warmup = bertft::resolve_warmup_steps(a.warmup_steps, a.warmup_ratio, total);
  for (int64_t k = start; k < start + a.steps; k++) {
    // The gradients of global step k: DIR/step_<k>.safetensors.
    read_params(a.grads_dir + "/step_" + std::to_string(k) + ".safetensors", grads);
    const double norm = bertft::clip_grad_norm(grads, a.max_grad_norm);
    const double lr = bertft::learning_rate_at(schedule, a.lr, k, warmup, total);
    opt.step(params, grads, lr);
    nlohmann::json line = {{"step", k}, {"lr", lr}, {"grad_norm", norm}};
    std::printf("%s\n", line.dump().c_str());
  }
  std::vector<bertft::TensorToWrite> out;
  for (const bertft::TensorSpec& s : params.specs()) out.push_back({s.name, s.shape, params.tensor(s)});
  bertft::write_safetensors(a.output, out, bertft::DType::F32);
  if (!a.state_out.empty()) opt.save(a.state_out);
}

void setup_optim_check(CLI::App& app) {
  auto a = std::make_shared<OptimCheckArgs>();
  CLI::App* sub = app.add_subcommand("optim-check", "Debug: clip + schedule + AdamW over given gradients");
  sub->group("");  // hidden from --help: a test hook, not a user command
  sub->add_option("--config", a->config, "config.json of the (tiny) model")->required();
  sub->add_option("--params", a->params, "Initial parameters (safetensors, HF names)")->required();
  sub->add_option("--grads-dir", a->grads_dir, "Directory of step_<k>.safetensors gradients")->required();
  bertft::add_number_option(sub, "--steps", a->steps, "[0, inf)", "Optimizer steps to run")->required();
  bertft::add_number_option(sub, "--total-steps", a->total_steps, "[0, inf)",
                            "Schedule length (default: the steps run)");
  bertft::add_number_option(sub, "--lr", a->lr, "[0, inf)", "Peak learning rate");
  sub->add_option("--schedule", a->schedule, "linear, cosine or constant");
  bertft::add_number_option(sub, "--warmup-steps", a->warmup_steps, "[0, inf)", "Warmup steps");
  bertft::add_number_option(sub, "--warmup-ratio", a->warmup_ratio, "[0, 1]",
                            "Warmup ratio (when --warmup-steps is 0)");
  bertft::add_number_option(sub, "--max-grad-norm", a->max_grad_norm, "(-inf, inf)", "Clip threshold (<= 0: off)");
  bertft::add_number_option(sub, "--weight-decay", a->weight_decay, "[0, inf)", "AdamW weight decay");
  bertft::add_number_option(sub, "--beta1", a->beta1, "[0, 1)", "AdamW beta1");
  bertft::add_number_option(sub, "--beta2", a->beta2, "[0, 1)", "AdamW beta2");
  bertft::add_number_option(sub, "--eps", a->eps, "[0, inf)", "AdamW epsilon");
  sub->add_option("--state-in", a->state_in, "Optimizer state to resume from");
  sub->add_option("--state-out", a->state_out, "Where to save the final optimizer state");
  sub->add_option("--output", a->output, "Final parameters (safetensors)")->required();
  sub->callback([a] { run_optim_check(*a); });
}

const bool registered = bertft::register_command("optim-check", setup_optim_check);

}  // namespace
