#pragma once
// --model (and init's --from / --tokenizer) of every command that reads a model: a model directory, a
// Hugging Face hub cache folder, or a model id found in the hub cache (common/hub_cache.h), resolved
// to the directory while the command line is parsed.
#include <string>

#include "cli/command.h"

namespace bertft {

// `what` begins the help text ("Model directory to start from"); the accepted forms are appended.
CLI::Option* add_model_option(CLI::App* sub, std::string& model_dir, const std::string& what,
                              const std::string& name = "--model");

}  // namespace bertft
