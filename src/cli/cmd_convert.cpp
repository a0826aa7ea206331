// bertft convert: re-save a model directory (any family; weights in any form checkpoint_tensors.h reads:
// safetensors, pytorch_model.bin, sharded) as one model.safetensors in the dtype asked for, in the layout
// transformers writes, keeping the heads it has; optionally with fewer or more positions.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/model_option.h"
#include "cli/model_dir_output.h"
#include "common/error.h"
#include "common/io.h"
#include "model/checkpoint.h"

namespace {

struct ConvertArgs {
  std::string model;
  std::string output;
  std::string dtype = "f32";
  int max_positions = 0;
};

// The model with `positions` position embeddings. Fewer: the first ones, for a model pretrained on
// shorter sequences than its config allows, whose later positions were never trained. More: the new
// rows get the sinusoidal init of `pretrain --position-init sinusoidal` (the init the bundled models'
// positions started from), to be learned by fine-tuning on longer inputs.
bertft::Model resize_positions(const bertft::Model& model, int positions) {
  bertft::ModelConfig config = model.config;
  config.max_position_embeddings = positions;
  bertft::validate_config(config, "--max-positions");  // before the new table is allocated
  bertft::Model out{config, bertft::ModelParams(config, model.params.heads())};
  bertft::init_sinusoidal_positions(out.params, config);
  for (const bertft::TensorSpec& spec : out.params.specs()) {
    const bertft::TensorSpec& source = *model.params.find(spec.name);
    std::copy_n(model.params.data() + source.offset, std::min(spec.numel, source.numel), out.params.tensor(spec));
  }
  return out;
}

void run_convert(const ConvertArgs& a) {
  bertft::check_output_dir("--output", a.output);
  bertft::LoadOptions options;
  options.heads_of_checkpoint = true;
  std::vector<std::string> notices;
  bertft::Model model = bertft::load_model(a.model, options, &notices);
  if (std::string n = bertft::dequantized_notice(model, a.model, "fp32"); !n.empty()) notices.push_back(n);
  for (const std::string& n : notices) std::fprintf(stderr, "bertft: notice: %s\n", n.c_str());
  if (a.max_positions > 0) model = resize_positions(model, a.max_positions);
  bertft::cli::write_model_dir(model, a.output, a.dtype, a.model, /*tokenizer_required=*/false);
}

void setup_convert(CLI::App& app) {
  auto args = std::make_shared<ConvertArgs>();
  CLI::App* sub = app.add_subcommand(
      "convert", "Re-save a model (safetensors, pytorch_model.bin or sharded weights) as config.json + one model.safetensors + "
      "tokenizer files, in the dtype asked for");
  bertft::add_model_option(sub, args->model, "Model to read")->required();
  sub->add_option("--output", args->output, "Model directory to write")->required();
  sub->add_option("--dtype", args->dtype, "Weights dtype to write")->check(CLI::IsMember({"f32", "f16", "bf16"}));
  bertft::add_number_option(sub, "--max-positions", args->max_positions, "[0, 1048576]",
                            "Resize the position embeddings to N (max_position_embeddings N): fewer keeps the first "
                            "N, e.g. for a model pretrained on N-token sequences; more adds sinusoidally initialised "
                            "rows for fine-tuning on longer inputs (0: as they are)");
  sub->callback([args] { run_convert(*args); });
}

const bool registered = bertft::register_command("convert", setup_convert);

}  // namespace
