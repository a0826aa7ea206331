#pragma once
// Writing a model directory from a command (init, convert): weights, config, tokenizer files, and a
// summary on stdout of what was written.
#include <string>

#include "model/checkpoint.h"

namespace bertft::cli {

// dtype is "f32", "f16" or "bf16". Tokenizer files are copied from tokenizer_dir; when there are none
// that is an error if tokenizer_required, else a note on stderr.
void write_model_dir(const Model& model, const std::string& dir, const std::string& dtype,
                     const std::string& tokenizer_dir, bool tokenizer_required);

}  // namespace bertft::cli
