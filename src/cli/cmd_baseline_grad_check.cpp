// bertft baseline-grad-check (hidden, for tests/integration/test_recurrent_parity): one forward and
// backward of a recurrent baseline (baseline/recurrent_classifier.h) over given token sequences, so
// its loss and every gradient can be compared with PyTorch autograd.
// Input: --weights, the model's tensors under their PyTorch names (safetensors); --input, JSON Lines
// {"ids": [...], "label": n}, one batch (padded with --padding-idx to its longest sequence).
// Output: a safetensors file with each gradient under its parameter's name and metadata "loss".
// --bench N also times N more forward/backward passes (bench/recurrent_vs_torch.py).
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "baseline/recurrent_classifier.h"
#include "cli/command.h"
#include "common/error.h"
#include "common/io.h"
#include "common/precision.h"
#include "common/json_input.h"
#include "kernels/classifier_head.h"
#include "model/safetensors.h"

namespace bertft {
namespace {

struct BaselineGradCheckArgs {
  std::string weights, input, output;
  int32_t padding_idx = 0;
  float dropout = 0;
  uint64_t dropout_seed = 0;
  int bench = 0;
  std::string precision = "fp32";
  int threads = default_threads();
};

void run_baseline_grad_check(const BaselineGradCheckArgs& a) {
  check_output_file("--output", a.output);
  RecurrentClassifier model = RecurrentClassifier::load(a.weights, a.padding_idx);
  model.set_precision(training_precision_from_name(a.precision));
  const RecurrentConfig& config = model.config();
  std::vector<std::vector<int32_t>> sequences;
  std::vector<int32_t> labels;
  std::istringstream lines(read_file(a.input));
  std::string line;
  for (int number = 1; std::getline(lines, line); number++) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = a.input + ":" + std::to_string(number);
    const nlohmann::json doc = parse_json_object(line, where);
    const JsonField root(doc, where);
    std::vector<int32_t> ids;
    for (const auto& v : root["ids"].as_array()) ids.push_back(v.get<int32_t>());
    if (ids.empty()) fail_file(where, "'ids' is empty");
    for (int32_t id : ids)
      if (id < 0 || id >= config.vocab_size) fail_file(where, "id " + std::to_string(id) + " is outside the vocabulary");
    sequences.push_back(std::move(ids));
    labels.push_back(static_cast<int32_t>(root["label"].as_int(0, config.num_labels - 1)));
  }
  if (sequences.empty()) fail_file(a.input, "no sequences");
  const int64_t B = static_cast<int64_t>(sequences.size());
  int64_t T = 0;
  for (const auto& s : sequences) T = std::max<int64_t>(T, static_cast<int64_t>(s.size()));
  std::vector<int32_t> tokens(static_cast<size_t>(B * T), config.padding_idx), lengths;
  for (int64_t b = 0; b < B; b++) {
    std::copy(sequences[b].begin(), sequences[b].end(), tokens.begin() + b * T);
    lengths.push_back(static_cast<int32_t>(sequences[b].size()));
  }
  std::vector<float> dlogits(static_cast<size_t>(B * config.num_labels));
  auto step = [&] {
    model.forward(tokens.data(), lengths.data(), B, T, a.dropout, a.dropout_seed);
    const float loss = crossentropy_forward(model.logits(), labels.data(), B, config.num_labels);
    crossentropy_backward(dlogits.data(), model.logits(), labels.data(), B, config.num_labels);
    model.backward(dlogits.data(), a.dropout, a.dropout_seed);
    return loss;
  };
  const float loss = step();
  std::vector<TensorToWrite> tensors;
  for (const RecurrentTensor& t : model.tensors()) tensors.push_back({t.name, t.shape, model.grads().data() + t.offset});
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.9g", loss);
  write_safetensors(a.output, std::move(tensors), DType::F32, {{"format", "pt"}, {"loss", buffer}});
  if (a.bench > 0) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < a.bench; i++) step();
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "bertft: notice: baseline-grad-check bench: %d steps, %.2f ms/step (%d threads)\n", a.bench,
                 ms / a.bench, omp_get_max_threads());
  }
}

void setup_baseline_grad_check(CLI::App& app) {
  auto a = std::make_shared<BaselineGradCheckArgs>();
  CLI::App* sub = app.add_subcommand("baseline-grad-check", "Debug: one recurrent baseline forward/backward");
  sub->group("");  // hidden from --help: a test hook, not a user command
  sub->add_option("--weights", a->weights, "The model (.safetensors, PyTorch names)")->required();
  sub->add_option("--input", a->input, "JSON Lines: {\"ids\", \"label\"}")->required();
  sub->add_option("--output", a->output, "Gradients (.safetensors)")->required();
  add_number_option(sub, "--padding-idx", a->padding_idx, "[0, inf)", "The embedding's padding row");
  add_number_option(sub, "--dropout", a->dropout, "[0, 1)", "Dropout (default 0)");
  add_number_option(sub, "--dropout-seed", a->dropout_seed, "[0, inf)", "Dropout seed");
  sub->add_option("--precision", a->precision, "fp32 | bf16 | auto")->capture_default_str();
  add_number_option(sub, "--bench", a->bench, "[0, inf)", "Also time N more steps");
  add_threads_option(sub, a->threads);
  sub->callback([a] {
    use_threads(a->threads);
    run_baseline_grad_check(*a);
  });
}

const bool registered = register_command("baseline-grad-check", setup_baseline_grad_check);

}  // namespace
}  // namespace bertft
