#pragma once
// The options of `bertft train`, in one place so that `bertft sweep` (one train run per grid point)
// accepts exactly the same ones.
#include <string>

#include "cli/command.h"
#include "cli/dataset_options.h"
#include "cli/truncation_options.h"
#include "distributed/communicator.h"
#include "training/trainer.h"

namespace bertft {

struct TrainCliOptions {
  TrainOptions train;
  DatasetCliOptions dataset;
  float dropout = -1;  // below 0 (the default): the config's
  int threads = default_threads();
  std::string precision = "auto";
  std::string pooling;  // empty: the model's
  TruncationCliOptions truncation;

  // `train` with the CLI-only fields resolved into it; sets OpenMP's thread count. Throws Error on a
  // bad value.
  TrainOptions resolve() const;
};

// Adds every train option to `sub`, bound to `o` (which must outlive parsing). Hugging Face's
// TrainingArguments names are aliases (--num-train-epochs for --epochs, ...); parse with
// parse_command_line (cli/command_line.h) for their underscore spellings (--num_train_epochs).
void add_train_options(CLI::App* sub, TrainCliOptions& o);

// --adam-beta1, --adam-beta2 and --adam-epsilon of train and pretrain; beta2_note ends beta2's help.
void add_adam_options(CLI::App* sub, double& beta1, double& beta2, double& epsilon, const std::string& beta2_note = "");

}  // namespace bertft
