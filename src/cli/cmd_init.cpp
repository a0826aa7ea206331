// bertft init: a new sequence classifier model directory of any family, either randomly initialised
// from a config.json or starting from a pretrained checkpoint (masked LM / pretraining / base model)
// with a fresh classifier, as transformers' from_pretrained does for fine-tuning.
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/model_option.h"
#include "cli/model_dir_output.h"
#include "common/error.h"
#include "common/io.h"
#include "model/checkpoint.h"

namespace {

struct InitArgs {
  std::string config;
  std::string from;
  std::string output;
  int num_labels = 0;
  std::vector<std::string> labels;
  uint64_t seed = 42;
  std::string tokenizer;
  std::string dtype = "f32";
};

// --labels names them; --num-labels alone gives LABEL_0..; neither keeps config.json's labels.
std::optional<std::vector<std::string>> requested_labels(const InitArgs& a) {
  if (!a.labels.empty()) {
    if (a.num_labels != 0 && a.num_labels != static_cast<int>(a.labels.size()))
      throw bertft::Error("--num-labels " + std::to_string(a.num_labels) + " disagrees with the " +
                          std::to_string(a.labels.size()) + " names given to --labels");
    return a.labels;
  }
  if (a.num_labels == 0) return std::nullopt;
  std::vector<std::string> names;
  for (int i = 0; i < a.num_labels; i++) names.push_back("LABEL_" + std::to_string(i));
  return names;
}

void run_init(const InitArgs& a) {
  bertft::check_output_dir("--output", a.output);
  const bertft::Heads classification{.pooler = true, .classifier = true, .mlm = false};
  const auto labels = requested_labels(a);
  bertft::Model model;
  std::vector<std::string> notices;
  std::string tokenizer_dir = a.tokenizer;
  if (!a.from.empty()) {
    model = bertft::load_model(a.from, {.heads = classification, .seed = a.seed, .id2label = labels}, &notices);
    if (tokenizer_dir.empty()) tokenizer_dir = a.from;
  } else {
    model.config = bertft::load_config(a.config);
    if (labels) {
      model.config.id2label = *labels;
      bertft::validate_config(model.config, a.config);
    }
    model.params = bertft::ModelParams(model.config, classification);
    bertft::init_params(model.params, model.config, a.seed);
    if (tokenizer_dir.empty()) tokenizer_dir = std::filesystem::path(a.config).parent_path().string();
    if (tokenizer_dir.empty()) tokenizer_dir = ".";
  }
  for (const std::string& n : notices) std::fprintf(stderr, "bertft: notice: %s\n", n.c_str());
  bertft::cli::write_model_dir(model, a.output, a.dtype, tokenizer_dir, /*tokenizer_required=*/true);
}

void setup_init(CLI::App& app) {
  auto args = std::make_shared<InitArgs>();
  CLI::App* sub = app.add_subcommand(
      "init", "Write a new sequence classifier model directory (any family): random weights from a config.json, "
              "or a pretrained checkpoint with a newly initialised classifier");
  auto* config = sub->add_option("--config", args->config, "config.json to initialise randomly from")
                     ->check(CLI::ExistingFile);
  auto* from = bertft::add_model_option(
      sub, args->from, "Pretrained model to start from (a masked LM, pretraining, base or classifier model)", "--from");
  config->excludes(from);
  sub->add_option("--output", args->output, "Model directory to write")->required();
  bertft::add_number_option(sub, "--num-labels", args->num_labels, "[0, 100000]",
                            "Number of labels (default: the number of --labels, else config.json's)");
  sub->add_option("--labels", args->labels, "Label names in id order, e.g. negative,positive")->delimiter(',');
  bertft::add_number_option(sub, "--seed", args->seed, "[0, inf)", "Seed of the random initialisation");
  bertft::add_model_option(sub, args->tokenizer,
                           "Model to copy tokenizer files from (default: the --config file's directory, or --from)",
                           "--tokenizer");
  sub->add_option("--dtype", args->dtype, "Weights dtype to write")->check(CLI::IsMember({"f32", "f16", "bf16"}));
  sub->callback([args, config, from] {
    if (config->count() == 0 && from->count() == 0) throw CLI::RequiredError("--config or --from");
    run_init(*args);
  });
}

const bool registered = bertft::register_command("init", setup_init);

}  // namespace
