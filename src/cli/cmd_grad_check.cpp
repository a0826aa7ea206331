// bertft grad-check (hidden, for tests/integration/test_grad_parity): one ClassifierStep
// forward_backward over given token sequences, so its loss and every gradient can be compared with
// PyTorch autograd. Input: JSON Lines {"ids": [...], "type_ids": [...] (optional, default 0),
// "label": n}. Output: a safetensors file with each gradient under its parameter's HF name and
// metadata "loss" (the micro-batch losses, comma-separated) and "touched_rows".
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "common/precision.h"
#include "common/error.h"
#include "common/io.h"
#include "common/json_input.h"
#include "model/checkpoint.h"
#include "model/safetensors.h"
#include "training/batch.h"
#include "training/classifier_step.h"

namespace bertft {
namespace {

struct GradCheckArgs {
  std::string model_dir, input, output;
  int micro_batches = 1;
  int threads = 0;  // 0: OpenMP default
  std::string precision = "fp32";
  int bench = 0;    // extra timed steps
  bool freeze_encoder = false;
  StepOptions step;
};

std::vector<Batch> read_batches(const std::string& path, int micro_batches) {
  const std::string text = read_file(path);
  std::vector<TokenizedInput> inputs;
  std::vector<int32_t> labels;
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    number++;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(number);
    const nlohmann::json doc = parse_json_object(line, where);
    const JsonField root(doc, where);
    TokenizedInput input;
    for (const auto& v : root["ids"].as_array()) input.ids.push_back(v.get<int32_t>());
    if (!root["type_ids"].absent())
      for (const auto& v : root["type_ids"].as_array()) input.type_ids.push_back(v.get<int32_t>());
    else
      input.type_ids.assign(input.ids.size(), 0);
    labels.push_back(static_cast<int32_t>(root["label"].as_int(0, 1 << 30)));
    inputs.push_back(std::move(input));
  }
  if (inputs.empty()) fail_file(path, "no sequences");
  if (micro_batches < 1 || micro_batches > static_cast<int>(inputs.size()))
    throw Error("--micro-batches must be between 1 and the number of sequences");
  std::vector<Batch> batches;
  const size_t n = inputs.size();
  for (int m = 0; m < micro_batches; m++) {
    const size_t begin = n * m / micro_batches, end = n * (m + 1) / micro_batches;
    batches.push_back(make_batch(std::span(inputs).subspan(begin, end - begin),
                                 std::span(labels).subspan(begin, end - begin)));
  }
  return batches;
}

void run_grad_check(GradCheckArgs a) {
  if (a.threads > 0) omp_set_num_threads(a.threads);
  LoadOptions load;
  load.heads = Heads{.pooler = true, .classifier = true, .mlm = false};
  std::vector<std::string> notices;
  const Model model = load_model(a.model_dir, load, &notices);
  for (const std::string& notice : notices) std::fprintf(stderr, "bertft: note: %s\n", notice.c_str());
  const std::vector<Batch> batches = read_batches(a.input, a.micro_batches);
  size_t max_tokens = 0;
  int max_batch = 0;
  for (const Batch& b : batches) {
    max_tokens = std::max(max_tokens, b.ids.size());
    max_batch = std::max(max_batch, b.num_seqs());
  }
  ClassifierStep step(model.config, max_tokens, max_batch, precision_from_name(a.precision));
  BertParams grads(model.config, load.heads);
  a.step.train_encoder = !a.freeze_encoder;
  std::string losses;
  for (const Batch& b : batches) {
    const float loss = step.forward_backward(model.params, grads, b, a.step);
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.9g", loss);
    losses += (losses.empty() ? "" : ",") + std::string(buffer);
  }
  const size_t touched = step.touched_word_rows().size();
  std::vector<TensorToWrite> tensors;
  for (const TensorSpec& spec : grads.specs()) tensors.push_back({spec.name, spec.shape, grads.tensor(spec)});
  write_safetensors(a.output, tensors, DType::F32,
                    {{"format", "pt"}, {"loss", losses}, {"touched_rows", std::to_string(touched)}});

  if (a.bench > 0) {  // timing: zero_grads + one step over the first micro-batch, a.bench times
    BertParams scratch(model.config, load.heads);
    step.zero_grads(scratch);
    step.forward_backward(model.params, scratch, batches[0], a.step);  // warm-up
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < a.bench; i++) {
      step.zero_grads(scratch);
      step.forward_backward(model.params, scratch, batches[0], a.step);
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "grad-check bench: %d steps, %.1f ms/step (%d threads, %zu tokens)\n", a.bench,
                 ms / a.bench, omp_get_max_threads(), batches[0].ids.size());
  }
}

void setup_grad_check(CLI::App& app) {
  auto a = std::make_shared<GradCheckArgs>();
  CLI::App* sub = app.add_subcommand("grad-check", "Debug: one training forward/backward, gradients to a file");
  sub->group("");  // hidden from --help: a test hook, not a user command
  sub->add_option("--model", a->model_dir, "Model directory")->required();
  sub->add_option("--input", a->input, "JSON Lines: {\"ids\", \"type_ids\", \"label\"}")->required();
  sub->add_option("--output", a->output, "Gradients (.safetensors)")->required();
  sub->add_option("--micro-batches", a->micro_batches, "Split the input into N accumulated micro-batches");
  sub->add_option("--grad-scale", a->step.grad_scale, "grads += scale * dLoss/dθ");
  sub->add_flag("--freeze-encoder", a->freeze_encoder, "Gradients for pooler + classifier only");
  sub->add_option("--hidden-dropout", a->step.hidden_dropout, "Hidden dropout (default 0)");
  sub->add_option("--attention-dropout", a->step.attention_dropout, "Attention dropout (default 0)");
  sub->add_option("--classifier-dropout", a->step.classifier_dropout, "Classifier dropout (default 0)");
  sub->add_option("--dropout-seed", a->step.dropout_seed, "Dropout seed");
  sub->add_option("--threads", a->threads, "Threads (0: default)");
  sub->add_option("--precision", a->precision, "fp32 | bf16");
  sub->add_option("--bench", a->bench, "Also time N steps over the first micro-batch");
  sub->callback([a] { run_grad_check(*a); });
}

const bool registered = register_command("grad-check", setup_grad_check);

}  // namespace
}  // namespace bertft
