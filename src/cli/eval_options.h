#pragma once
// The options of `bertft eval` and what it computes, in one place so that the Python module's
// bertft.evaluate parses the same option table and returns the very JSON the command prints.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/dataset_options.h"
#include "cli/truncation_options.h"
#include "common/precision.h"
#include "data/dataset.h"
#include "encoding/encoded_dataset.h"
#include "model/checkpoint.h"

namespace bertft {

struct EvalOptions {
  std::vector<std::string> model_dirs;  // several: an ensemble (inference/ensemble.h)
  std::vector<double> model_weights;
  std::string data, errors_file;
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

// A classifier and labelled data encoded as it reads them: what eval and quantize --report score.
struct LabelledRun {
  Model model;
  InferenceDefaults inputs;  // max length, truncation and <br /> cleaning, as given or as the directory records
  Dataset data;
  EncodedDataset encoded;
};

// Loads model_dir's classifier and tokenizer (printing the loading notices, and that a quantized
// directory is dequantized unless `precision` is int8) and reads data_path with the dataset options,
// its labels checked against the model's, encoded with the inference options resolved. Throws Error.
LabelledRun load_labelled_run(const std::string& model_dir, const std::string& data_path,
                              const DatasetCliOptions& dataset, const CLI::Option* max_length_option, int max_length,
                              const TruncationCliOptions& truncation, Precision precision);

// Scores the model on the data (with OpenMP's current thread count; writes --errors): the metrics
// `bertft eval` prints. Throws Error.
nlohmann::ordered_json run_eval(const EvalOptions& o);

}  // namespace bertft
