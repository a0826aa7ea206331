// bertft bench: time the real fp32 training step or inference forward on a random in-memory model.
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
  double seconds = 10;
  int warmup_steps = 2;
  int threads = omp_get_num_procs();
};

// FLOPs (multiply-add = 2) of one forward over B sequences of T tokens, N = B*T, C labels.
// Full encoder layer: QKV 6NH^2 + attention output 2NH^2 + FFN 4NHI + scores QK^T 2BT^2H
//   + probs x V 2BT^2H  =>  8NH^2 + 4NHI + 4BT^2H.
// Inference's last layer computes only the [CLS] rows after K/V: K,V 4NH^2 + Q 2BH^2 + scores 2BTH
//   + probs x V 2BTH + attention output 2BH^2 + FFN 4BHI.
// Heads: pooler 2BH^2 + classifier 2BHC. Embeddings, LayerNorm, softmax, GELU are not counted.
// Training counts 3x the full forward (backward = 2x forward: grads w.r.t. inputs and weights).
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

void run_bench(const BenchOptions& o) {
  auto positive = [](const char* name, double v) {
    if (!(v > 0)) throw Error(std::string(name) + " must be positive");
  };
  positive("--layers", o.layers);
  positive("--hidden", o.hidden);
  positive("--heads", o.heads);
  positive("--intermediate", o.intermediate);
  positive("--vocab", o.vocab);
  positive("--batch-size", o.batch_size);
  positive("--seq-len", o.seq_len);
  positive("--seconds", o.seconds);
  positive("--threads", o.threads);
  if (o.warmup_steps < 0) throw Error("--warmup-steps must be non-negative");
  if (o.hidden % o.heads != 0)
    throw Error("--hidden (" + std::to_string(o.hidden) + ") must be divisible by --heads (" +
                std::to_string(o.heads) + ")");
  if (o.mode != "train" && o.mode != "infer") throw Error("--mode must be train or infer");
  if (o.vocab < 3) throw Error("--vocab must be at least 3");

  omp_set_num_threads(o.threads);
  Model model;
  BertConfig& cfg = model.config;
  cfg.vocab_size = o.vocab;
  cfg.hidden_size = o.hidden;
  cfg.num_hidden_layers = o.layers;
  cfg.num_attention_heads = o.heads;
  cfg.intermediate_size = o.intermediate;
  cfg.max_position_embeddings = std::max(512, o.seq_len);
  model.params = BertParams(cfg, Heads{});
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

  const bool train = o.mode == "train";
  std::function<void(int64_t)> step;
  std::unique_ptr<ClassifierStep> cstep;
  std::unique_ptr<BertParams> grads;
  std::unique_ptr<AdamW> adamw;
  std::unique_ptr<SequenceClassifier> classifier;
  Batch batch;
  std::vector<float> logits(static_cast<size_t>(o.batch_size) * cfg.num_labels());
  StepOptions sopts = step_options_from_config(cfg);  // dropout 0.1 (config defaults)
  if (train) {
    make_batch(batch, inputs, labels);
    cstep = std::make_unique<ClassifierStep>(cfg, batch.ids.size(), o.batch_size);
    grads = std::make_unique<BertParams>(cfg, Heads{});
    adamw = std::make_unique<AdamW>(model.params, AdamWOptions{});
    step = [&](int64_t s) {
      cstep->zero_grads(*grads);
      StepOptions so = sopts;
      so.dropout_seed = dropout_step_seed(42, static_cast<uint64_t>(s));
      cstep->forward_backward(model.params, *grads, batch, so);
      clip_grad_norm(*grads, 1.0);
      adamw->step(model.params, *grads, 2e-5);
    };
  } else {
    classifier = std::make_unique<SequenceClassifier>(model, o.batch_size, o.seq_len);
    step = [&](int64_t) { classifier->forward(inputs, logits.data()); };
  }

  int64_t s = 0;
  for (int w = 0; w < o.warmup_steps; w++) step(s++);
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  int64_t steps = 0;
  double elapsed = 0;
  do {
    step(s++);
    steps++;
    elapsed = std::chrono::duration<double>(clock::now() - t0).count();
  } while (elapsed < o.seconds);

  const double flops = train ? 3 * forward_flops(o, cfg.num_labels(), false)
                             : forward_flops(o, cfg.num_labels(), true);
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const double tokens = static_cast<double>(steps) * o.batch_size * o.seq_len;
  std::printf(
      "{\"mode\":\"%s\",\"layers\":%d,\"hidden\":%d,\"heads\":%d,\"intermediate\":%d,\"batch_size\":%d,"
      "\"seq_len\":%d,\"threads\":%d,\"steps\":%lld,\"tokens_per_s\":%.2f,\"ms_per_step\":%.3f,"
      "\"gflops\":%.2f,\"peak_rss_mb\":%.1f}\n",
      o.mode.c_str(), o.layers, o.hidden, o.heads, o.intermediate, o.batch_size, o.seq_len, o.threads,
      static_cast<long long>(steps), tokens / elapsed, 1000.0 * elapsed / steps, flops * steps / elapsed / 1e9,
      ru.ru_maxrss / 1024.0);
}

void setup_bench(CLI::App& app) {
  auto o = std::make_shared<BenchOptions>();
  CLI::App* sub = app.add_subcommand("bench", "Time the fp32 training step or inference on a random model");
  sub->add_option("--layers", o->layers, "Encoder layers");
  sub->add_option("--hidden", o->hidden, "Hidden size");
  sub->add_option("--heads", o->heads, "Attention heads");
  sub->add_option("--intermediate", o->intermediate, "FFN intermediate size");
  sub->add_option("--vocab", o->vocab, "Vocabulary size");
  sub->add_option("--batch-size", o->batch_size, "Sequences per step");
  sub->add_option("--seq-len", o->seq_len, "Tokens per sequence");
  sub->add_option("--mode", o->mode, "train | infer");
  sub->add_option("--seconds", o->seconds, "Timed duration after warm-up");
  sub->add_option("--warmup-steps", o->warmup_steps, "Untimed steps first");
  sub->add_option("--threads", o->threads, "Threads");
  sub->callback([o] { run_bench(*o); });
}

const bool registered = register_command("bench", setup_bench);

}  // namespace
}  // namespace bertft
