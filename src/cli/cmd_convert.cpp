// bertft convert: re-save a model directory (any supported BERT checkpoint) in another dtype, in
// the layout transformers writes, keeping the heads it has.
#include <cstdio>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/model_dir_output.h"
#include "model/checkpoint.h"

namespace {

struct ConvertArgs {
  std::string model;
  std::string output;
  std::string dtype = "f32";
};

void run_convert(const ConvertArgs& a) {
  bertft::LoadOptions options;
  options.heads = bertft::checkpoint_heads(a.model);
  std::vector<std::string> notices;
  bertft::Model model = bertft::load_model(a.model, options, &notices);
  for (const std::string& n : notices) std::fprintf(stderr, "bertft: notice: %s\n", n.c_str());
  bertft::cli::write_model_dir(model, a.output, a.dtype, a.model, /*tokenizer_required=*/false);
}

void setup_convert(CLI::App& app) {
  auto args = std::make_shared<ConvertArgs>();
  CLI::App* sub = app.add_subcommand(
      "convert", "Re-save a model directory (config.json + model.safetensors + tokenizer files) in another dtype");
  sub->add_option("--model", args->model, "Model directory to read")->required();
  sub->add_option("--output", args->output, "Model directory to write")->required();
  sub->add_option("--dtype", args->dtype, "Weights dtype to write")->check(CLI::IsMember({"f32", "f16", "bf16"}));
  sub->callback([args] { run_convert(*args); });
}

const bool registered = bertft::register_command("convert", setup_convert);

}  // namespace
