// bertft bench: time the real training step or inference forward on a random in-memory model, in
// fp32 or bf16 (inference also int8), with a per-op profile and the share of this machine's measured
// matrix-product peak.
#include <omp.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cli/command.h"
#include "common/error.h"
#include "common/precision.h"
#include "common/profile.h"
#include "kernels/bf16.h"
#include "kernels/int8_linear.h"
#include "kernels/matmul.h"
#include "inference/classifier.h"
#include "kernels/dropout.h"
#include "model/checkpoint.h"
#include "training/adamw.h"
#include "training/batch.h"
#include "training/classifier_step.h"
#include "training/grad_clip.h"

namespace bertft {
namespace {

struct BenchOptions {
  int layers = 2, hidden = 128, heads = 2, intermediate = 512, vocab = 30522, batch_size = 8, seq_len = 128;
  std::string mode = "train";
  std::string precision = "auto";
  double seconds = 10;
  int warmup_steps = 2;
  int threads = default_threads();
};

// FLOPs (multiply-add = 2) of one forward over B sequences of T tokens, N = B*T, C labels.
// Full encoder layer: QKV 6NH^2 + attention output 2NH^2 + FFN 4NHI + scores QK^T 2BT^2H
//   + probs x V 2BT^2H  =>  8NH^2 + 4NHI + 4BT^2H.
// Inference's last layer computes only the [CLS] rows after K/V: K,V 4NH^2 + Q 2BH^2 + scores 2BTH
//   + probs x V 2BTH + attention output 2BH^2 + FFN 4BHI.
// Heads: pooler 2BH^2 + classifier 2BHC. Embeddings, LayerNorm, softmax, GELU are not counted.
// Training counts 3x the forward (backward = 2x forward: grads w.r.t. inputs and weights); both
// compute only the [CLS] rows of the last layer, so the count is the work actually done.
double forward_flops(const BenchOptions& o, int num_labels, bool cls_only_last) {
  const double B = o.batch_size, T = o.seq_len, H = o.hidden, I = o.intermediate, N = B * T;
  const double full = 8 * N * H * H + 4 * N * H * I + 4 * B * T * T * H;
  double f = 0;
  for (int l = 0; l < o.layers; l++) {
    if (cls_only_last && l == o.layers - 1)
      f += 4 * N * H * H + 2 * B * H * H + 4 * B * T * H + 2 * B * H * H + 4 * B * H * I;
    else
      f += full;
  }
  return f + 2 * B * H * H + 2 * B * H * num_labels;
}

// Three decimals, and two significant digits below 0.1 ms so that an op which ran never reads 0.000.
std::string format_ms(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, ms >= 0.1 || ms == 0 ? "%.3f" : "%.2g", ms);
  return buf;
}

// GFLOP/s of one large matrix product [M, K] x [K, N] (M = 2048, N = K = 1024) in the given
// precision, the best of a few runs: the ceiling the model's products are measured against. int8:
// int8_linear_forward, quantizing its input rows included, as the model runs it.
double matmul_peak_gflops(Precision precision) {
  const int64_t M = 2048, N = 1024, K = 1024;
  std::vector<float> a(M * K, 0.5f), b(N * K, 0.25f), c(M * N);
  std::vector<bf16> a_b(M * K), b_b(N * K);
  to_bf16(a_b.data(), a.data(), M * K);
  to_bf16(b_b.data(), b.data(), N * K);
  std::vector<int8_t> b_q(N * K);
  std::vector<float> b_scale(N), row_scales(M);
  quantize_weight_per_channel(b_q.data(), b_scale.data(), b.data(), N, K);
  const Int8Weight b_i8(b_q.data(), b_scale.data(), N, K);
  std::vector<uint8_t> row_values(M * K);
  std::vector<int32_t> row_zero_points(M);
  const QuantizedRows rows{row_values.data(), row_scales.data(), row_zero_points.data()};
  double best = 0;
  for (int run = 0; run < 8; run++) {
    const auto t0 = std::chrono::steady_clock::now();
    if (precision == Precision::Int8)
      int8_linear_forward(c.data(), a.data(), b_i8, nullptr, M, rows);
    else if (precision == Precision::Bf16)
      matmul_forward(c.data(), a_b.data(), b_b.data(), nullptr, M, N, K);
    else
      matmul_forward(c.data(), a.data(), b.data(), M, N, K);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, 2.0 * M * N * K / s / 1e9);
  }
  return best;
}

void run_bench(const BenchOptions& o) {
  if (o.hidden % o.heads != 0)
    throw Error("--hidden (" + std::to_string(o.hidden) + ") must be divisible by --heads (" +
                std::to_string(o.heads) + ")");
  if (o.mode != "train" && o.mode != "infer") throw Error("--mode must be train or infer");
  const bool train = o.mode == "train";
  const Precision precision = train ? training_precision_from_name(o.precision) : precision_from_name(o.precision);

  omp_set_num_threads(o.threads);
  Model model;
  ModelConfig& cfg = model.config;
  cfg.vocab_size = o.vocab;
  cfg.hidden_size = o.hidden;
  cfg.num_hidden_layers = o.layers;
  cfg.num_attention_heads = o.heads;
  cfg.intermediate_size = o.intermediate;
  cfg.max_position_embeddings = std::max(512, o.seq_len);
  model.params = ModelParams(cfg, Heads{});
  init_params(model.params, cfg, 42);

  // Random ids in [1, V): [CLS]/[SEP] are not special to the compute.
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int32_t> id_dist(1, o.vocab - 1);
  std::vector<TokenizedInput> inputs(o.batch_size);
  std::vector<int32_t> labels(o.batch_size);
  for (int b = 0; b < o.batch_size; b++) {
    inputs[b].ids.resize(o.seq_len);
    inputs[b].type_ids.assign(o.seq_len, 0);
    for (auto& id : inputs[b].ids) id = id_dist(rng);
    labels[b] = b % cfg.num_labels();
  }

  std::function<void(int64_t)> step;
  std::unique_ptr<ClassifierStep> cstep;
  std::unique_ptr<ModelParams> grads;
  std::unique_ptr<AdamW> adamw;
  std::unique_ptr<SequenceClassifier> classifier;
  Batch batch;
  std::vector<float> logits(static_cast<size_t>(o.batch_size) * cfg.num_labels());
  StepOptions sopts = step_options_from_config(cfg);  // dropout 0.1 (config defaults)
  if (train) {
    make_batch(batch, inputs, labels);
    cstep = std::make_unique<ClassifierStep>(cfg, batch.ids.size(), o.batch_size, precision);
    grads = std::make_unique<ModelParams>(cfg, Heads{});
    adamw = std::make_unique<AdamW>(model.params, AdamWOptions{});
    step = [&](int64_t s) {
      cstep->zero_grads(*grads);
      StepOptions so = sopts;
      so.dropout_seed = dropout_step_seed(42, static_cast<uint64_t>(s));
      cstep->forward_backward(model.params, *grads, batch, so);
      OpScope scope(Op::Optimizer);
      const double norm = global_grad_norm(*grads, &cstep->touched_word_rows());
      adamw->step(model.params, *grads, 2e-5, clip_coefficient(norm, 1.0));
    };
  } else {
    classifier = std::make_unique<SequenceClassifier>(model, o.batch_size, o.seq_len, precision);
    step = [&](int64_t) { classifier->forward(inputs, logits.data()); };
  }

  int64_t s = 0;
  for (int w = 0; w < o.warmup_steps; w++) step(s++);
  OpProfile& profile = OpProfile::global();
  profile.reset();
  profile.enable(true);
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  int64_t steps = 0;
  double elapsed = 0;
  do {
    step(s++);
    steps++;
    elapsed = std::chrono::duration<double>(clock::now() - t0).count();
  } while (elapsed < o.seconds);
  profile.enable(false);

  const double flops = (train ? 3 : 1) * forward_flops(o, cfg.num_labels(), true);
  const double gflops = flops * steps / elapsed / 1e9;
  const double peak = matmul_peak_gflops(precision);
  std::string ops;
  double profiled = 0;
  for (size_t i = 0; i < static_cast<size_t>(Op::Count); i++) {
    const double ms = 1000.0 * profile.seconds(static_cast<Op>(i)) / steps;
    profiled += ms;
    if (ms > 0) ops += (ops.empty() ? "\"" : ",\"") + std::string(op_name(static_cast<Op>(i))) + "\":" + format_ms(ms);
  }
  ops += std::string(ops.empty() ? "" : ",") + "\"other\":" + format_ms(std::max(0.0, 1000.0 * elapsed / steps - profiled));
  // int8: also the share of the instruction's own ceiling (vpdpbusd on registers), which no product reaches.
  std::string vnni_peak;
  if (precision == Precision::Int8) {
    const double gops = int8_peak_gops();
    char buf[96];
    std::snprintf(buf, sizeof buf, ",\"vnni_peak_gops\":%.1f,\"vnni_peak_share\":%.3f", gops, gops > 0 ? gflops / gops : 0.0);
    vnni_peak = buf;
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const double tokens = static_cast<double>(steps) * o.batch_size * o.seq_len;
  std::printf(
      "{\"mode\":\"%s\",\"precision\":\"%s\",\"layers\":%d,\"hidden\":%d,\"heads\":%d,\"intermediate\":%d,\"batch_size\":%d,"
      "\"seq_len\":%d,\"threads\":%d,\"steps\":%lld,\"tokens_per_s\":%.2f,\"ms_per_step\":%.3f,"
      "\"gflops\":%.2f,\"matmul_peak_gflops\":%.1f,\"peak_share\":%.3f%s,\"peak_rss_mb\":%.1f,"
      "\"profile_ms_per_step\":{%s}}\n",
      o.mode.c_str(), precision_name(precision), o.layers, o.hidden, o.heads, o.intermediate, o.batch_size, o.seq_len,
      o.threads, static_cast<long long>(steps), tokens / elapsed, 1000.0 * elapsed / steps, gflops, peak,
      gflops / peak, vnni_peak.c_str(), ru.ru_maxrss / 1024.0, ops.c_str());
}

void setup_bench(CLI::App& app) {
  auto o = std::make_shared<BenchOptions>();
  CLI::App* sub = app.add_subcommand("bench", "Time the training step or inference on a random model");
  add_number_option(sub, "--layers", o->layers, "[1, 1024]", "Encoder layers");
  add_number_option(sub, "--hidden", o->hidden, "[1, 65536]", "Hidden size");
  add_number_option(sub, "--heads", o->heads, "[1, 65536]", "Attention heads");
  add_number_option(sub, "--intermediate", o->intermediate, "[1, 262144]", "FFN intermediate size");
  add_number_option(sub, "--vocab", o->vocab, "[3, 1e8]", "Vocabulary size");
  add_number_option(sub, "--batch-size", o->batch_size, kBatchSizeRange, "Sequences per step");
  add_number_option(sub, "--seq-len", o->seq_len, "[1, 65536]", "Tokens per sequence");
  sub->add_option("--mode", o->mode, "train | infer");
  sub->add_option("--precision", o->precision, std::string(kPrecisionHelp) + " (int8: --mode infer only)");
  add_number_option(sub, "--seconds", o->seconds, "(0, 86400]", "Timed duration after warm-up");
  add_number_option(sub, "--warmup-steps", o->warmup_steps, "[0, inf)", "Untimed steps first");
  add_threads_option(sub, o->threads);
  sub->callback([o] { run_bench(*o); });
}

const bool registered = register_command("bench", setup_bench);

}  // namespace
}  // namespace bertft
