#pragma once
// --model (and init's --from / --tokenizer) of every command that reads a model: a model directory, a
// Hugging Face hub cache folder, or a model id found in the hub cache (common/hub_cache.h), resolved
// to the directory while the command line is parsed.
#include <string>
#include <vector>

#include "cli/command.h"

namespace bertft {

// `what` begins the help text ("Model directory to start from"); the accepted forms are appended.
CLI::Option* add_model_option(CLI::App* sub, std::string& model_dir, const std::string& what,
                              const std::string& name = "--model");

// --model of predict, eval and serve: one model, or several given as an ensemble (inference/ensemble.h).
CLI::Option* add_ensemble_model_option(CLI::App* sub, std::vector<std::string>& model_dirs, const std::string& what);

// --model-weights W,W,...: the ensemble's weights, checked by ensemble_weights (inference/ensemble.h)
// once the number of models is known.
CLI::Option* add_model_weights_option(CLI::App* sub, std::vector<double>& weights);

}  // namespace bertft
