#pragma once
// The options of how a classifier's inputs are made, shared by train, eval, predict and serve:
// --max-length, --truncation / --head-tokens / --chunk-overlap (encoding/encoded_dataset.h). predict,
// eval and serve take what the command line gives, else what the model directory records
// (inference/inference_defaults.h), else the built-in default.
#include <optional>
#include <string>

#include "cli/command.h"
#include "encoding/encoded_dataset.h"
#include "inference/inference_defaults.h"
#include "model/config.h"

namespace bertft {

struct TruncationCliOptions {
  std::string name = "head";
  int head_tokens = 128;
  int chunk_overlap = 32;
  CLI::Option* name_option = nullptr;
  CLI::Option* head_tokens_option = nullptr;
  CLI::Option* chunk_overlap_option = nullptr;

  // The options as given, built-in defaults for the others.
  Truncation to_truncation() const { return truncation_from_name(name, head_tokens, chunk_overlap); }
  // Each option given on the command line, else `model_default`'s.
  Truncation resolve(const Truncation& model_default) const;
};

// windows false: head and head+tail only (no chunks, no --chunk-overlap), for models that read one
// window of each text and record no inference defaults (the recurrent baselines).
void add_truncation_options(CLI::App* sub, TruncationCliOptions& o, bool windows = true);

// True when `option` was given on the command line.
inline bool given(const CLI::Option* option) { return option != nullptr && option->count() > 0; }

// What predict, eval and serve run `config` (read from `config_path`) with: each option given on the
// command line (max_length when max_length_option was given, truncation's, strip_html when set), else
// what the model directory records, else the built-in default; max_length resolved (0: the longest the
// model takes). Says on stderr which recorded defaults it took.
InferenceDefaults resolve_inference_options(const ModelConfig& config, const std::string& config_path,
                                            const CLI::Option* max_length_option, int max_length,
                                            const TruncationCliOptions& truncation, std::optional<bool> strip_html);

// --max-length's help, the same in every command: `what` says what is cut.
std::string max_length_help(const std::string& what);

// The --max-length of a command that reads a model directory's defaults (eval, predict, quantize):
// tokens per `what` ("example", "input"); given, it wins over what the directory records.
CLI::Option* add_inference_max_length_option(CLI::App* sub, int& max_length, const std::string& what);

}  // namespace bertft
