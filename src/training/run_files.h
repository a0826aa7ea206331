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
  nlohmann::json made_with;     // the run's record (see check_made_with); null in earlier versions' checkpoints

  nlohmann::json to_json() const;
  static TrainerState from_json(const nlohmann::json& j, const std::string& source);  // throws Error naming source
  static TrainerState load(const std::string& path);  // throws Error naming the file
};

// The order of n examples in `epoch`: file order without shuffle, else a shuffle that depends only
// on (seed, epoch).
std::vector<int64_t> epoch_order(int64_t n, uint64_t seed, int64_t epoch, bool shuffle);

// checkpoint-STEP directories in `output`, oldest first (names whose STEP is not a number are not
// checkpoints).
std::vector<std::pair<int64_t, std::filesystem::path>> list_checkpoints(const std::string& output);

// Before a run reads its input: --output (and --log, if given) can be written, the temporaries of
// killed runs are removed from them, and checkpoints in output_dir are there to be continued: throws
// Error if there are some and `resume` is off, so that an earlier run is never overwritten by accident.
void prepare_output(const std::string& output_dir, const std::string& log_file, bool resume);

// The checkpoint a run continues, read by read(checkpoint_dir) (the model, the optimizer and the state).
// named_checkpoint (--resume-from-checkpoint DIR) is read as it is, its Error passed on. Otherwise, with
// `resume`, the newest checkpoint in output_dir that read reads without an Error: the newer ones it
// cannot read are set aside as checkpoint-STEP.unreadable, each with a note on stderr; if none can be
// read, throws Error and sets nothing aside. Returns "" (read not called) without `resume` or when there
// is no checkpoint, noting that the run starts from `start_from`.
std::string read_resume_checkpoint(const std::string& output_dir, bool resume, const std::string& named_checkpoint,
                                   const std::string& start_from,
                                   const std::function<void(const std::string& checkpoint_dir)>& read);

// Reads the optimizer moments and the run state of a checkpoint directory.
void load_checkpoint(const std::string& checkpoint_dir, AdamW& optimizer, TrainerState& state);

// Says on stderr where a resumed run continues: step `step` of total_steps.
void note_resume(const std::string& checkpoint_dir, int64_t step, int64_t total_steps);

// What a run is made with, so that --resume does not continue a checkpoint with other data, another
// model or other training options: an object keyed by the option that sets each value, e.g.
// {"--learning-rate": 2e-05, "--train": input_record(...)}. Saved in every checkpoint's state.
//
// Data and models are recorded by their content: "path" and "examples" only say which they were.
// Hashing the examples as loaded (not the files) costs one pass over memory the run holds anyway,
// and a copied, moved or re-encoded file with the same examples is the same data.
nlohmann::json input_record(const std::string& path, uint64_t content_hash, int64_t examples = -1);

// The files a model directory's model is made of: config.json, model.safetensors and the tokenizer
// files. Hashed whole for its record (a few tenths of a second for BERT-base, once per run): a
// path, size and time would call a copied model another, and miss one rewritten in place.
std::vector<std::string> model_files(const std::string& dir);

// A hash of the contents of `paths`, in order (a missing file counts as empty).
uint64_t hash_files(const std::vector<std::string>& paths);

// Throws Error("--resume: checkpoint-20 was made with --learning-rate 2e-05, this run has 3e-05; pass
// --force to resume anyway") naming every value of `current` the checkpoint's record has otherwise;
// with `force`, that is a warning. A checkpoint without a record (made before bertft kept one) is
// resumed with a warning that it could not be compared.
void check_made_with(const std::string& checkpoint_dir, const nlohmann::json& made_with,
                     const nlohmann::json& current, bool force);

// Writes output_dir/checkpoint-STEP: write_model(dir) saves the model (and tokenizer) into a
// temporary directory (common/io.h: temporary_path), which gets the optimizer and state and is
// renamed into place, so a killed run never leaves a half-written checkpoint. Then keeps only the
// newest `keep` checkpoints.
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
