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
  TruncationCliOptions truncation;

  // `train` with the CLI-only fields resolved into it; sets OpenMP's thread count. Throws Error on a
  // bad value.
  TrainOptions resolve() const;
};

// Adds every train option to `sub`, bound to `o` (which must outlive parsing).
void add_train_options(CLI::App* sub, TrainCliOptions& o);

}  // namespace bertft
