#pragma once
// What `train` and `pretrain` keep on disk the same way: checkpoints (checkpoint-STEP/: the model, the
// AdamW moments and the run's state, written atomically), --resume, the JSON Lines log, and the
// example order of each epoch.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "training/adamw.h"

namespace bertft {

// Everything a resumed run needs besides weights and optimizer moments. Shuffles, masks and dropout
// are derived from (seed, epoch, step), so no random-generator state has to be stored.
struct TrainerState {
  int64_t global_step = 0;      // optimizer steps taken
  int64_t epoch = 0;            // current epoch (0-based)
  int64_t batch_in_epoch = 0;   // micro-batches of the current epoch already consumed
  double best_metric = std::numeric_limits<double>::quiet_NaN();
  int64_t best_step = -1;
  int evals_without_improvement = 0;
  double seconds = 0;           // training time so far, over all resumed runs (for --max-time)
  nlohmann::json log_history = nlohmann::json::array();  // every line of --log, in order

  nlohmann::json to_json() const;
  static TrainerState from_json(const nlohmann::json& j, const std::string& source);  // throws Error naming source
  static TrainerState load(const std::string& path);  // throws Error naming the file
};

// The order of n examples in `epoch`: file order without shuffle, else a shuffle that depends only
// on (seed, epoch).
std::vector<int64_t> epoch_order(int64_t n, uint64_t seed, int64_t epoch, bool shuffle);

// checkpoint-STEP directories in `output`, oldest first.
std::vector<std::pair<int64_t, std::filesystem::path>> list_checkpoints(const std::string& output);

// The checkpoint a run writing to output_dir starts from: the newest one with `resume` (with a
// notice, "" if there is none), "" without. Throws Error if output_dir holds checkpoints and
// `resume` is off, so an earlier run is never overwritten by accident.
std::string checkpoint_to_resume(const std::string& output_dir, bool resume, const std::string& model_dir);

// Reads the optimizer moments and the run state of a checkpoint directory, and says on stderr where
// the run resumes (step N of total_steps).
void load_checkpoint(const std::string& checkpoint_dir, AdamW& optimizer, TrainerState& state, int64_t total_steps);

// Writes output_dir/checkpoint-STEP: write_model(dir) saves the model (and tokenizer) into a
// temporary directory, which gets the optimizer and state and is renamed into place, so a killed
// run never leaves a half-written checkpoint. Then keeps only the newest `keep` checkpoints.
void save_checkpoint(const std::string& output_dir, const TrainerState& state, const AdamW& optimizer, int keep,
                     const std::function<void(const std::string&)>& write_model);

// The error for a non-finite loss, naming the last good checkpoint.
std::string diverged_message(int64_t step, double loss, const std::string& output_dir);

// --log: one JSON line per entry, appended as it happens; the state keeps the history so that a
// resumed run rewrites the log to what the checkpoint had (steps after it are replayed).
class RunLog {
 public:
  explicit RunLog(std::string path) : path_(std::move(path)) {}
  void append(TrainerState& state, const nlohmann::json& entry) const;
  void rewrite(const TrainerState& state) const;

 private:
  std::string path_;  // "" = no log file
};

}  // namespace bertft
