// bertft grad-check (hidden, for tests/integration/test_grad_parity, test_mlm_parity and
// test_electra_parity): one ClassifierStep (--head classifier), MaskedLMStep (--head mlm) or ElectraStep
// (--head electra: --model holds the discriminator, --model/generator the generator) forward_backward
// over given token sequences, so its loss and every gradient can be compared with PyTorch autograd.
// Input: JSON Lines {"ids": [...], "type_ids": [...] (optional, default 0), "label": n} for the
// classifier (with "probs": [per class] in every record, the batch's targets are those class
// probabilities instead), {"ids", "type_ids"?, "labels": [per token: the id to predict, or -100]}
// (HF's MLM labels) for mlm, and for electra also "draws": [a number in [0, 1) per label that is not
// -100], from which the generator samples the replacement.
// Output: a safetensors file with each gradient under its parameter's HF name (electra: the
// generator's own under "generator/" + name) and metadata "loss" (the micro-batch losses,
// comma-separated), "touched_rows" and, for mlm and electra, "correct" (per micro-batch; electra: the
// generator's); electra also "generator_loss", "discriminator_loss", "discriminator_correct" and
// "sampled" (the sampled ids, in the order of the masked tokens, micro-batches one after the other).
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/model_option.h"
#include "common/precision.h"
#include "common/error.h"
#include "common/io.h"
#include "common/json_input.h"
#include "model/checkpoint.h"
#include "model/safetensors.h"
#include "training/batch.h"
#include "training/classifier_step.h"
#include "training/electra_step.h"
#include "training/masked_lm_step.h"

namespace bertft {
namespace {

struct GradCheckArgs {
  std::string model_dir, input, output;
  int micro_batches = 1;
  int threads = default_threads();
  std::string precision = "fp32";
  std::string head = "classifier";
  float discriminator_weight = 50;
  int bench = 0;    // extra timed steps
  bool freeze_encoder = false;
  StepOptions step;
};

struct MicroBatch {
  Batch batch;
  MaskedTokens masked;  // mlm only
};

std::vector<MicroBatch> read_batches(const std::string& path, int micro_batches, bool mlm, bool draws) {
  const std::string text = read_file(path);
  std::vector<TokenizedInput> inputs;
  std::vector<int32_t> labels;
  std::vector<std::vector<int32_t>> token_labels;
  std::vector<std::vector<float>> token_draws;
  std::vector<std::vector<float>> probs;
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
    if (mlm) {
      std::vector<int32_t> per_token;
      for (const auto& v : root["labels"].as_array()) per_token.push_back(v.get<int32_t>());
      if (per_token.size() != input.ids.size()) fail_file(where, "'labels' must have one entry per id");
      if (draws) {
        std::vector<float> values;
        for (const auto& v : root["draws"].as_array()) values.push_back(v.get<float>());
        if (values.size() != static_cast<size_t>(std::count_if(per_token.begin(), per_token.end(),
                                                               [](int32_t l) { return l != -100; })))
          fail_file(where, "'draws' must have one entry per label that is not -100");
        token_draws.push_back(std::move(values));
      }
      token_labels.push_back(std::move(per_token));
      labels.push_back(0);
    } else {
      labels.push_back(static_cast<int32_t>(root["label"].as_int(0, 1 << 30)));
      if (!root["probs"].absent()) {
        probs.emplace_back();
        for (const auto& v : root["probs"].as_array()) probs.back().push_back(v.get<float>());
        if (probs.back().size() != probs.front().size()) fail_file(where, "'probs' must have the same length in every record");
      }
    }
    inputs.push_back(std::move(input));
  }
  if (inputs.empty()) fail_file(path, "no sequences");
  if (!probs.empty() && probs.size() != inputs.size()) fail_file(path, "'probs' must be in every record or none");
  if (micro_batches < 1 || micro_batches > static_cast<int>(inputs.size()))
    throw Error("--micro-batches must be between 1 and the number of sequences");
  std::vector<MicroBatch> batches;
  const size_t n = inputs.size();
  for (int m = 0; m < micro_batches; m++) {
    const size_t begin = n * m / micro_batches, end = n * (m + 1) / micro_batches;
    MicroBatch mb;
    mb.batch = make_batch(std::span(inputs).subspan(begin, end - begin), std::span(labels).subspan(begin, end - begin));
    if (!probs.empty())
      for (size_t i = begin; i < end; i++) mb.batch.targets.insert(mb.batch.targets.end(), probs[i].begin(), probs[i].end());
    if (mlm)
      for (size_t i = begin; i < end; i++) {
        for (size_t t = 0; t < token_labels[i].size(); t++)
          if (token_labels[i][t] != -100) {
            mb.masked.positions.push_back(mb.batch.offsets[i - begin] + static_cast<int32_t>(t));
            mb.masked.targets.push_back(token_labels[i][t]);
          }
        if (draws) mb.masked.draws.insert(mb.masked.draws.end(), token_draws[i].begin(), token_draws[i].end());
      }
    batches.push_back(std::move(mb));
  }
  return batches;
}

void run_grad_check(GradCheckArgs a) {
  check_output_file("--output", a.output);
  use_threads(a.threads);
  if (a.head != "classifier" && a.head != "mlm" && a.head != "electra")
    throw Error("--head must be classifier, mlm or electra");
  const bool electra = a.head == "electra";
  const bool mlm = a.head == "mlm" || electra;  // electra's input: the generator's masked-LM batch
  const Precision precision = training_precision_from_name(a.precision);  // a bad value before loading anything
  LoadOptions load;
  load.heads = electra ? Heads{.pooler = false, .classifier = false, .mlm = false, .discriminator = true}
               : mlm   ? Heads{.pooler = false, .classifier = false, .mlm = true}
                       : Heads{.pooler = true, .classifier = true, .mlm = false};
  std::vector<std::string> notices;
  Model model = load_model(a.model_dir, load, &notices);
  ModelConfig generator_config;
  if (electra) {  // the joint discriminator and generator, the embeddings the discriminator's
    const Model generator =
        load_model(path_in(a.model_dir, "generator"), LoadOptions{.heads = kGeneratorHeads, .id2label = {}}, &notices);
    generator_config = generator.config;
    Model joint{model.config, ModelParams(model.config, load.heads, generator_config)};
    copy_tensors(generator.params, *joint.params.generator());
    copy_tensors(model.params, joint.params);
    model = std::move(joint);
  }
  for (const std::string& notice : notices) std::fprintf(stderr, "bertft: notice: %s\n", notice.c_str());
  const std::vector<MicroBatch> batches = read_batches(a.input, a.micro_batches, mlm, electra);
  size_t max_tokens = 0, max_masked = 1;
  int max_batch = 0;
  for (const MicroBatch& b : batches) {
    max_tokens = std::max(max_tokens, b.batch.ids.size());
    max_batch = std::max(max_batch, b.batch.num_seqs());
    max_masked = std::max(max_masked, b.masked.positions.size());
  }
  std::unique_ptr<ClassifierStep> classifier;
  std::unique_ptr<MaskedLMStep> masked_lm;
  std::unique_ptr<ElectraStep> electra_step;
  if (electra)
    electra_step = std::make_unique<ElectraStep>(model.config, generator_config, max_tokens, max_batch, max_masked,
                                                 precision, a.discriminator_weight);
  else if (mlm)
    masked_lm = std::make_unique<MaskedLMStep>(model.config, max_tokens, max_batch, max_masked, precision);
  else
    classifier = std::make_unique<ClassifierStep>(model.config, max_tokens, max_batch, precision);
  a.step.train_encoder = !a.freeze_encoder;
  std::string corrects, generator_losses, discriminator_losses, discriminator_corrects, sampled;
  auto append = [](std::string& list, const std::string& value) { list += (list.empty() ? "" : ",") + value; };
  auto number = [](double value) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.9g", value);
    return std::string(buffer);
  };
  // One step over micro-batch b, accumulating into g.
  auto step = [&](ModelParams& g, const MicroBatch& b) {
    if (electra) {
      const ElectraResult r = electra_step->forward_backward(model.params, g, b.batch, b.masked, a.step,
                                                             a.step.grad_scale * a.discriminator_weight);
      append(corrects, std::to_string(r.generator_correct));
      append(generator_losses, number(r.generator_loss));
      append(discriminator_losses, number(r.discriminator_loss));
      append(discriminator_corrects, std::to_string(r.discriminator_correct));
      const std::span<const int32_t> ids = electra_step->discriminator_ids();
      for (const int32_t p : b.masked.positions) append(sampled, std::to_string(ids[p]));
      return r.loss;
    }
    if (!mlm) return classifier->forward_backward(model.params, g, b.batch, a.step);
    const MaskedLMResult r = masked_lm->forward_backward(model.params, g, b.batch, b.masked, a.step);
    corrects += (corrects.empty() ? "" : ",") + std::to_string(r.correct);
    return r.loss;
  };
  ModelParams grads = electra ? ModelParams(model.config, load.heads, generator_config)
                              : ModelParams(model.config, load.heads);
  std::string losses;
  for (const MicroBatch& b : batches) append(losses, number(step(grads, b)));
  std::vector<TensorToWrite> tensors;
  for (const TensorSpec& spec : grads.specs()) tensors.push_back({spec.name, spec.shape, grads.tensor(spec)});
  std::map<std::string, std::string> metadata{{"format", "pt"}, {"loss", losses}};
  if (electra) {
    metadata["generator_loss"] = generator_losses;
    metadata["discriminator_loss"] = discriminator_losses;
    metadata["discriminator_correct"] = discriminator_corrects;
    metadata["sampled"] = sampled;
  }
  if (mlm)
    metadata["correct"] = corrects;
  else
    metadata["touched_rows"] = std::to_string(classifier->touched_word_rows().size());
  write_safetensors(a.output, tensors, DType::F32, metadata);

  if (a.bench > 0) {  // timing: zero_grads + one step over the first micro-batch, a.bench times
    ModelParams scratch = electra ? ModelParams(model.config, load.heads, generator_config)
                                  : ModelParams(model.config, load.heads);
    auto timed_step = [&] {
      if (electra)
        electra_step->zero_grads(scratch);
      else if (mlm)
        masked_lm->zero_grads(scratch);
      else
        classifier->zero_grads(scratch);
      step(scratch, batches[0]);
    };
    timed_step();  // warm-up
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < a.bench; i++) timed_step();
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "bertft: notice: grad-check bench: %d steps, %.1f ms/step (%d threads, %zu tokens)\n", a.bench,
                 ms / a.bench, omp_get_max_threads(), batches[0].batch.ids.size());
  }
}

void setup_grad_check(CLI::App& app) {
  auto a = std::make_shared<GradCheckArgs>();
  CLI::App* sub = app.add_subcommand("grad-check", "Debug: one training forward/backward, gradients to a file");
  sub->group("");  // hidden from --help: a test hook, not a user command
  bertft::add_model_option(sub, a->model_dir, "Model")->required();
  sub->add_option("--input", a->input, "JSON Lines: {\"ids\", \"type_ids\", \"label\"} (mlm: \"labels\" per token)")
      ->required();
  sub->add_option("--head", a->head, "classifier | mlm | electra");
  add_number_option(sub, "--discriminator-weight", a->discriminator_weight, "[0, inf)",
                    "electra: weight of the replaced-token loss");
  sub->add_option("--output", a->output, "Gradients (.safetensors)")->required();
  add_number_option(sub, "--micro-batches", a->micro_batches, "[1, inf)",
                    "Split the input into N accumulated micro-batches");
  add_number_option(sub, "--grad-scale", a->step.grad_scale, "(-inf, inf)", "grads += scale * dLoss/dθ");
  sub->add_flag("--freeze-encoder", a->freeze_encoder, "Gradients for pooler + classifier only");
  add_number_option(sub, "--hidden-dropout", a->step.hidden_dropout, "[0, 1)", "Hidden dropout (default 0)");
  add_number_option(sub, "--attention-dropout", a->step.attention_dropout, "[0, 1)", "Attention dropout (default 0)");
  add_number_option(sub, "--classifier-dropout", a->step.classifier_dropout, "[0, 1)",
                    "Classifier dropout (default 0)");
  add_number_option(sub, "--dropout-seed", a->step.dropout_seed, "[0, inf)", "Dropout seed");
  add_threads_option(sub, a->threads);
  sub->add_option("--precision", a->precision, "fp32 | bf16");
  add_number_option(sub, "--bench", a->bench, "[0, inf)", "Also time N steps over the first micro-batch");
  sub->callback([a] { run_grad_check(*a); });
}

const bool registered = register_command("grad-check", setup_grad_check);

}  // namespace
}  // namespace bertft
