#pragma once
// `bertft train`: fine-tunes BertForSequenceClassification with Hugging Face Trainer semantics
// (AdamW, warmup + decay schedule, clipping, accumulation), evaluates, keeps the best model and
// checkpoints for --resume.
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/precision.h"
#include "data/dataset.h"
#include "distributed/communicator.h"
#include "encoding/encoded_dataset.h"
#include "model/config.h"

namespace bertft {

struct TrainOptions {
  std::string model_dir;
  std::string train_data;
  std::string valid_data;       // or valid_split > 0
  double valid_split = 0;
  std::string test_data;
  std::string output_dir;
  Precision precision = Precision::Fp32;
  DatasetOptions data;          // columns, label map, strip-html (shared by every split)

  double epochs = 3;
  int batch_size = 16;
  double learning_rate = 2e-5;
  double weight_decay = 0.01;
  double adam_beta1 = 0.9;
  double adam_beta2 = 0.999;
  double adam_epsilon = 1e-8;
  // HF's label_smoothing_factor: the target is (1 - f) one-hot + f/classes (as torch's cross_entropy with
  // label_smoothing=f; a soft label is smoothed the same way). Evaluation losses are not smoothed.
  double label_smoothing_factor = 0;
  int64_t warmup_steps = 0;
  double warmup_ratio = 0.1;
  std::string lr_scheduler = "linear";
  double max_grad_norm = 1.0;
  int grad_accum_steps = 1;
  int max_length = 0;           // 0: the longest the model takes (resolve_max_length)
  Truncation truncation;        // of texts longer than max_length (every split)
  int64_t max_steps = 0;        // 0: epochs x steps per epoch
  size_t max_train_samples = 0;
  size_t max_eval_samples = 0;
  uint64_t seed = 42;
  std::optional<float> dropout; // overrides hidden and attention dropout
  bool no_shuffle = false;
  // Pad every training sequence to the maximum length (HF padding="max_length") instead of packing:
  // only to measure what packing saves.
  bool pad_to_max_length = false;
  std::string eval_strategy = "epoch";  // epoch | steps | no
  int64_t eval_steps = 500;
  int early_stopping_patience = 0;      // evaluations without improvement; 0: off
  std::string metric_for_best_model = "accuracy";
  bool load_best_model_at_end = true;   // the output is the best model; off: the last one
  bool freeze_encoder = false;
  // What the classification head reads of the last layer (model/config.h); absent: the --model's
  // (a resumed checkpoint's) classifier_pooling.
  std::optional<Pooling> pooling;
  int64_t save_steps = 0;       // 0: checkpoint at every evaluation (and at the end)
  int save_total_limit = 2;
  bool resume = false;
  std::string resume_from_checkpoint;   // with resume: this checkpoint directory instead of the newest in output_dir
  bool force = false;           // resume a checkpoint made with other data, model or options
  std::string log_file;
  int eval_batch_size = 64;
  double bucket_mb = 8;         // data-parallel runs: gradient all-reduce bucket size (MiB)
  // For a program that trains in-process (the Python module): on_log receives every entry of --log
  // (each optimizer step and evaluation) as it is logged; between_steps runs after every optimizer
  // step (with its evaluation and checkpoint) and may throw to end the run there, e.g. on Ctrl-C,
  // leaving the checkpoints written so far as they are.
  std::function<void(const nlohmann::json&)> on_log;
  std::function<void()> between_steps;
};

// On every rank of `comm` (one process: a single-process communicator; see training/data_parallel.h).
// Returns, on rank 0, the summary `bertft train` prints: {"output", "global_step", "valid_accuracy"?,
// "test_accuracy"?}; an empty object on the other ranks.
nlohmann::json run_training(const TrainOptions& options, const Communicator& comm);

}  // namespace bertft
