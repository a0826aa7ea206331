#include "cli/train_options.h"

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
  sub->add_option("--model", o.train.model_dir, "Model directory to start from (HF format)")->required();
  sub->add_option("--train", o.train.train_data, std::string("Training data. ") + kDatasetSpecHelp)->required();
  sub->add_option("--valid", o.train.valid_data, "Validation data (same formats)");
  sub->add_option("--valid-split", o.train.valid_split, "Hold out this fraction of --train (stratified) for validation");
  sub->add_option("--test", o.train.test_data, "Test data, evaluated once with the best model");
  sub->add_option("--output", o.train.output_dir, "Output directory: the best model (HF format), metrics.json, checkpoints")
      ->required();
  sub->add_option("--epochs", o.train.epochs, "Training epochs");
  sub->add_option("--batch-size", o.train.batch_size, "Examples per micro-batch");
  sub->add_option("--learning-rate", o.train.learning_rate, "Peak learning rate");
  sub->add_option("--weight-decay", o.train.weight_decay, "AdamW decoupled weight decay (not on biases and LayerNorm)");
  sub->add_option("--warmup-steps", o.train.warmup_steps, "Linear warmup steps (overrides --warmup-ratio when > 0)");
  sub->add_option("--warmup-ratio", o.train.warmup_ratio, "Warmup as a fraction of the total steps");
  sub->add_option("--lr-scheduler", o.train.lr_scheduler, "linear | cosine | constant (after warmup)");
  sub->add_option("--max-grad-norm", o.train.max_grad_norm, "Clip the global gradient norm to this (0: off)");
  sub->add_option("--grad-accum-steps", o.train.grad_accum_steps, "Micro-batches per optimizer step");
  sub->add_option("--max-length", o.train.max_length, "Tokens per example incl. [CLS]/[SEP] (0: the model's maximum)");
  sub->add_option("--max-steps", o.train.max_steps, "Total optimizer steps (0: epochs x steps per epoch)");
  sub->add_option("--max-train-samples", o.train.max_train_samples, "Use at most this many training examples (0: all)");
  sub->add_option("--max-eval-samples", o.train.max_eval_samples, "Use at most this many validation/test examples (0: all)");
  sub->add_option("--seed", o.train.seed, "Seed for initialisation, dropout and shuffling");
  sub->add_option("--dropout", o.dropout, "Override hidden and attention dropout (-1: the config's)");
  sub->add_flag("--no-shuffle", o.train.no_shuffle, "Batches are consecutive rows in file order");
  sub->add_flag("--pad-to-max-length", o.train.pad_to_max_length,
                "Pad every sequence to --max-length as HF's padding=\"max_length\" does, instead of packing "
                "(same results, only slower: for measuring what packing saves)");
  sub->add_option("--eval-strategy", o.train.eval_strategy, "epoch | steps | no");
  sub->add_option("--eval-steps", o.train.eval_steps, "Evaluate every N steps (with --eval-strategy steps)");
  sub->add_option("--eval-batch-size", o.train.eval_batch_size, "Examples per evaluation batch");
  sub->add_option("--early-stopping-patience", o.train.early_stopping_patience,
                  "Stop after N evaluations without improvement (0: off)");
  sub->add_option("--metric-for-best-model", o.train.metric_for_best_model,
                  "accuracy | f1 | macro_f1 | loss | ... (the model kept in --output)");
  sub->add_flag("--freeze-encoder", o.train.freeze_encoder, "Train only the pooler and classifier");
  sub->add_option("--save-steps", o.train.save_steps, "Checkpoint every N steps (0: at every evaluation)");
  sub->add_option("--save-total-limit", o.train.save_total_limit, "Checkpoints kept in --output");
  sub->add_flag("--resume", o.train.resume, "Continue from the newest checkpoint in --output");
  sub->add_option("--log", o.train.log_file, "JSON Lines log: one line per optimizer step and per evaluation");
  sub->add_option("--threads", o.threads,
                  "Threads (under mpirun: per rank; default: the CPUs the rank may use, shared by the ranks of an "
                  "unbound machine)");
  sub->add_option("--bucket-mb", o.train.bucket_mb,
                  "Under mpirun: MiB of gradients per all-reduce, started while the backward pass goes on");
  sub->add_option("--precision", o.precision, kPrecisionHelp);
  add_dataset_options(sub, o.dataset, /*with_max_samples=*/false);
  add_truncation_options(sub, o.truncation);
}

}  // namespace bertft
