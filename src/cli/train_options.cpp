#include "cli/train_options.h"

#include "cli/model_option.h"
#include "common/error.h"
#include "common/precision.h"
#include "model/config.h"

namespace bertft {

TrainOptions TrainCliOptions::resolve() const {
  TrainOptions o = train;
  o.data = dataset.to_options();
  o.truncation = truncation.to_truncation();
  o.precision = training_precision_from_name(precision);
  if (dropout >= 0) o.dropout = dropout;
  if (!pooling.empty()) {
    o.pooling = pooling_from_name(pooling);
    if (!o.pooling) throw Error("--pooling '" + pooling + "' is not one of cls, mean, max");
  }
  use_threads(threads);
  return o;
}

void add_adam_options(CLI::App* sub, double& beta1, double& beta2, double& epsilon, const std::string& beta2_note) {
  add_number_option(sub, "--adam-beta1", beta1, "[0, 1)", "AdamW beta1");
  add_number_option(sub, "--adam-beta2", beta2, "(0, 1)", "AdamW beta2" + beta2_note);
  add_number_option(sub, "--adam-epsilon,--adam-eps", epsilon, "(0, inf)", "AdamW epsilon");
}

void add_train_options(CLI::App* sub, TrainCliOptions& o) {
  add_model_option(sub, o.train.model_dir, "Model to start from", "--model,--model-name-or-path")->required();
  sub->add_option("--train,--train-file", o.train.train_data, std::string("Training data. ") + kDatasetSpecHelp)
      ->required();
  sub->add_option("--valid,--validation-file", o.train.valid_data, "Validation data (same formats)");
  add_number_option(sub, "--valid-split", o.train.valid_split, "[0, 1)",
                    "Hold out this fraction of --train (stratified) for validation");
  sub->add_option("--test,--test-file", o.train.test_data, "Test data, evaluated once with the best model");
  sub->add_option("--output,--output-dir", o.train.output_dir, "Output directory: the best model (HF format), metrics.json, checkpoints")
      ->required();
  add_number_option(sub, "--epochs,--num-train-epochs", o.train.epochs, kEpochsRange, "Training epochs");
  add_number_option(sub, "--batch-size,--per-device-train-batch-size", o.train.batch_size, kBatchSizeRange,
                    "Examples per micro-batch");
  add_number_option(sub, "--learning-rate", o.train.learning_rate, "[0, inf)", "Peak learning rate");
  add_number_option(sub, "--weight-decay", o.train.weight_decay, "[0, inf)",
                    "AdamW decoupled weight decay (not on biases and LayerNorm)");
  add_adam_options(sub, o.train.adam_beta1, o.train.adam_beta2, o.train.adam_epsilon);
  add_number_option(sub, "--label-smoothing-factor", o.train.label_smoothing_factor, "[0, 1)",
                    "Learn (1 - F) x the label + F / classes, as HF's label smoothing (0: off)");
  add_number_option(sub, "--warmup-steps", o.train.warmup_steps, "[0, inf)",
                    "Linear warmup steps (overrides --warmup-ratio when > 0)");
  add_number_option(sub, "--warmup-ratio", o.train.warmup_ratio, "[0, 1]", "Warmup as a fraction of the total steps");
  sub->add_option("--lr-scheduler,--lr-scheduler-type", o.train.lr_scheduler, "linear | cosine | constant (after warmup)");
  add_number_option(sub, "--max-grad-norm", o.train.max_grad_norm, "[0, inf)",
                    "Clip the global gradient norm to this (0: off)");
  add_number_option(sub, "--grad-accum-steps,--gradient-accumulation-steps", o.train.grad_accum_steps, "[1, 65536]",
                    "Micro-batches per optimizer step");
  add_number_option(sub, "--max-length,--max-seq-length", o.train.max_length, "[0, inf)",
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
  add_bool_option(sub, "--no-shuffle", o.train.no_shuffle, "Batches are consecutive rows in file order");
  add_bool_option(sub, "--pad-to-max-length", o.train.pad_to_max_length,
                "Pad every sequence to --max-length as HF's padding=\"max_length\" does, instead of packing "
                "(same results, only slower: for measuring what packing saves)");
  sub->add_option("--eval-strategy,--evaluation-strategy", o.train.eval_strategy, "epoch | steps | no");
  add_number_option(sub, "--eval-steps", o.train.eval_steps, "[1, inf)",
                    "Evaluate every N steps (with --eval-strategy steps)");
  add_number_option(sub, "--eval-batch-size,--per-device-eval-batch-size", o.train.eval_batch_size, kBatchSizeRange,
                    "Examples per evaluation batch");
  add_number_option(sub, "--early-stopping-patience", o.train.early_stopping_patience, "[0, inf)",
                    "Stop after N evaluations without improvement (0: off)");
  sub->add_option("--metric-for-best-model", o.train.metric_for_best_model,
                  "accuracy | f1 | macro_f1 | loss | ... (the model kept in --output)");
  add_bool_option(sub, "--load-best-model-at-end", o.train.load_best_model_at_end,
                  "Keep the best evaluated model in --output (false: the last one)");
  sub->add_flag("--no-load-best-model-at-end{false}", o.train.load_best_model_at_end,
                "Same as --load-best-model-at-end false");
  add_bool_option(sub, "--freeze-encoder", o.train.freeze_encoder, "Train only the pooler and classifier");
  sub->add_option("--pooling", o.pooling,
                  "cls | mean | max: what the classification head reads of the last layer. cls: the first token's "
                  "vector ([CLS], <s>), as transformers' *ForSequenceClassification; mean / max: the mean / "
                  "per-dimension max of the vectors of every token but padding ([CLS] and [SEP] included). Saved "
                  "as config.json's classifier_pooling, which predict, eval, serve and further training use; a "
                  "mean or max model gives other outputs when transformers loads it")
      ->default_str("the --model's classifier_pooling, else cls");
  add_number_option(sub, "--save-steps", o.train.save_steps, "[0, inf)",
                    "Checkpoint every N steps (0: at every evaluation)");
  add_number_option(sub, "--save-total-limit", o.train.save_total_limit, "[1, inf)", "Checkpoints kept in --output");
  add_resume_options(sub, o.train.resume, o.train.resume_from_checkpoint, o.train.force, "data, model or training options");
  sub->add_option("--log", o.train.log_file, "JSON Lines log: one line per optimizer step and per evaluation");
  add_threads_option(sub, o.threads);
  add_number_option(sub, "--bucket-mb", o.train.bucket_mb, "(0, 1e6]",
                    "Under mpirun: MiB of gradients per all-reduce, started while the backward pass goes on");
  sub->add_option("--precision", o.precision, kTrainingPrecisionHelp);
  add_dataset_options(sub, o.dataset, /*with_max_samples=*/false);
  add_truncation_options(sub, o.truncation);
}

}  // namespace bertft
