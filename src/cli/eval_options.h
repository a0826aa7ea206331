#pragma once
// The options of `bertft eval` and what it computes, in one place so that the Python module's
// bertft.evaluate parses the same option table and returns the very JSON the command prints.
#include <nlohmann/json.hpp>
#include <string>

#include "cli/command.h"
#include "cli/dataset_options.h"
#include "cli/truncation_options.h"

namespace bertft {

struct EvalOptions {
  std::string model_dir, data, errors_file;
  DatasetCliOptions dataset;
  int batch_size = 64;
  int max_length = 0;
  CLI::Option* max_length_option = nullptr;  // given: max_length wins over the model directory's record
  int threads = default_threads();
  std::string precision = "auto";
  TruncationCliOptions truncation;
};

// Adds every eval option to `sub`, bound to `o` (which must outlive parsing).
void add_eval_options(CLI::App* sub, EvalOptions& o);

// Scores the model on the data (with OpenMP's current thread count; writes --errors): the metrics
// `bertft eval` prints. Throws Error.
nlohmann::ordered_json run_eval(const EvalOptions& o);

}  // namespace bertft
