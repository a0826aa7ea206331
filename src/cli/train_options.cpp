#include "cli/train_options.h"

#include "cli/model_option.h"
#include "common/precision.h"

namespace bertft {

TrainOptions TrainCliOptions::resolve() const {
  TrainOptions o = train;
  o.data = dataset.to_options();
  o.truncation = truncation.to_truncation();
  o.precision = precision_from_name(precision);
  if (dropout >= 0) o.dropout = dropout;
  use_threads(threads);
  return o;
}

void add_train_options(CLI::App* sub, TrainCliOptions& o) {
  add_model_option(sub, o.train.model_dir, "Model to start from")->required();
  sub->add_option("--train", o.train.train_data, std::string("Training data. ") + kDatasetSpecHelp)->required();
  sub->add_option("--valid", o.train.valid_data, "Validation data (same formats)");
  add_number_option(sub, "--valid-split", o.train.valid_split, "[0, 1)",
                    "Hold out this fraction of --train (stratified) for validation");
  sub->add_option("--test", o.train.test_data, "Test data, evaluated once with the best model");
  sub->add_option("--output", o.train.output_dir, "Output directory: the best model (HF format), metrics.json, checkpoints")
      ->required();
  add_number_option(sub, "--epochs", o.train.epochs, kEpochsRange, "Training epochs");
  add_number_option(sub, "--batch-size", o.train.batch_size, kBatchSizeRange, "Examples per micro-batch");
  add_number_option(sub, "--learning-rate", o.train.learning_rate, "[0, inf)", "Peak learning rate");
  add_number_option(sub, "--weight-decay", o.train.weight_decay, "[0, inf)",
                    "AdamW decoupled weight decay (not on biases and LayerNorm)");
  add_number_option(sub, "--warmup-steps", o.train.warmup_steps, "[0, inf)",
                    "Linear warmup steps (overrides --warmup-ratio when > 0)");
  add_number_option(sub, "--warmup-ratio", o.train.warmup_ratio, "[0, 1]", "Warmup as a fraction of the total steps");
  sub->add_option("--lr-scheduler", o.train.lr_scheduler, "linear | cosine | constant (after warmup)");
  add_number_option(sub, "--max-grad-norm", o.train.max_grad_norm, "[0, inf)",
                    "Clip the global gradient norm to this (0: off)");
  add_number_option(sub, "--grad-accum-steps", o.train.grad_accum_steps, "[1, 65536]",
                    "Micro-batches per optimizer step");
  add_number_option(sub, "--max-length", o.train.max_length, "[0, inf)",
                    "Tokens per example incl. [CLS]/[SEP] (0: the model's maximum)");
  add_number_option(sub, "--max-steps", o.train.max_steps, "[0, inf)",
                    "Total optimizer steps (0: epochs x steps per epoch)");
  add_number_option(sub, "--max-train-samples", o.train.max_train_samples, "[0, inf)",
                    "Use at most this many training examples (0: all)");
  add_number_option(sub, "--max-eval-samples", o.train.max_eval_samples, "[0, inf)",
                    "Use at most this many validation/test examples (0: all)");
  add_number_option(sub, "--seed", o.train.seed, "[0, inf)", "Seed for initialisation, dropout and shuffling");
  add_number_option(sub, "--dropout", o.dropout, "[0, 1)", "Override hidden and attention dropout")
      ->default_str("the config's");
  sub->add_flag("--no-shuffle", o.train.no_shuffle, "Batches are consecutive rows in file order");
  sub->add_flag("--pad-to-max-length", o.train.pad_to_max_length,
                "Pad every sequence to --max-length as HF's padding=\"max_length\" does, instead of packing "
                "(same results, only slower: for measuring what packing saves)");
  sub->add_option("--eval-strategy", o.train.eval_strategy, "epoch | steps | no");
  add_number_option(sub, "--eval-steps", o.train.eval_steps, "[1, inf)",
                    "Evaluate every N steps (with --eval-strategy steps)");
  add_number_option(sub, "--eval-batch-size", o.train.eval_batch_size, kBatchSizeRange,
                    "Examples per evaluation batch");
  add_number_option(sub, "--early-stopping-patience", o.train.early_stopping_patience, "[0, inf)",
                    "Stop after N evaluations without improvement (0: off)");
  sub->add_option("--metric-for-best-model", o.train.metric_for_best_model,
                  "accuracy | f1 | macro_f1 | loss | ... (the model kept in --output)");
  sub->add_flag("--freeze-encoder", o.train.freeze_encoder, "Train only the pooler and classifier");
  add_number_option(sub, "--save-steps", o.train.save_steps, "[0, inf)",
                    "Checkpoint every N steps (0: at every evaluation)");
  add_number_option(sub, "--save-total-limit", o.train.save_total_limit, "[1, inf)", "Checkpoints kept in --output");
  sub->add_flag("--resume", o.train.resume, "Continue from the newest checkpoint in --output");
  sub->add_flag("--force", o.train.force,
                "With --resume: continue a checkpoint made with other data, model or training options");
  sub->add_option("--log", o.train.log_file, "JSON Lines log: one line per optimizer step and per evaluation");
  add_number_option(sub, "--threads", o.threads, kThreadsRange,
                    "Threads (under mpirun: per rank; default: the CPUs the rank may use, shared by the ranks of an "
                    "unbound machine)");
  add_number_option(sub, "--bucket-mb", o.train.bucket_mb, "(0, 1e6]",
                    "Under mpirun: MiB of gradients per all-reduce, started while the backward pass goes on");
  sub->add_option("--precision", o.precision, kPrecisionHelp);
  add_dataset_options(sub, o.dataset, /*with_max_samples=*/false);
  add_truncation_options(sub, o.truncation);
}

}  // namespace bertft
