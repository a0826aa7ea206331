// bertft train: fine-tune a classifier (see training/trainer.h).
#include <omp.h>

#include <memory>

#include "cli/command.h"
#include "common/precision.h"
#include "common/error.h"
#include "distributed/communicator.h"
#include "cli/dataset_options.h"
#include "cli/truncation_options.h"
#include "training/trainer.h"

namespace bertft {
namespace {

void setup_train(CLI::App& app) {
  auto o = std::make_shared<TrainOptions>();
  auto dataset = std::make_shared<DatasetCliOptions>();
  auto dropout = std::make_shared<float>(-1);
  auto threads = std::make_shared<int>(default_threads());
  auto precision = std::make_shared<std::string>("auto");
  auto truncation = std::make_shared<TruncationCliOptions>();
  CLI::App* sub = app.add_subcommand("train", "Fine-tune a BertForSequenceClassification model on labeled text");
  sub->add_option("--model", o->model_dir, "Model directory to start from (HF format)")->required();
  sub->add_option("--train", o->train_data, std::string("Training data. ") + kDatasetSpecHelp)->required();
  sub->add_option("--valid", o->valid_data, "Validation data (same formats)");
  sub->add_option("--valid-split", o->valid_split, "Hold out this fraction of --train (stratified) for validation");
  sub->add_option("--test", o->test_data, "Test data, evaluated once with the best model");
  sub->add_option("--output", o->output_dir, "Output directory: the best model (HF format), metrics.json, checkpoints")
      ->required();
  sub->add_option("--epochs", o->epochs, "Training epochs");
  sub->add_option("--batch-size", o->batch_size, "Examples per micro-batch");
  sub->add_option("--learning-rate", o->learning_rate, "Peak learning rate");
  sub->add_option("--weight-decay", o->weight_decay, "AdamW decoupled weight decay (not on biases and LayerNorm)");
  sub->add_option("--warmup-steps", o->warmup_steps, "Linear warmup steps (overrides --warmup-ratio when > 0)");
  sub->add_option("--warmup-ratio", o->warmup_ratio, "Warmup as a fraction of the total steps");
  sub->add_option("--lr-scheduler", o->lr_scheduler, "linear | cosine | constant (after warmup)");
  sub->add_option("--max-grad-norm", o->max_grad_norm, "Clip the global gradient norm to this (0: off)");
  sub->add_option("--grad-accum-steps", o->grad_accum_steps, "Micro-batches per optimizer step");
  sub->add_option("--max-length", o->max_length, "Tokens per example incl. [CLS]/[SEP] (0: the model's maximum)");
  sub->add_option("--max-steps", o->max_steps, "Total optimizer steps (0: epochs x steps per epoch)");
  sub->add_option("--max-train-samples", o->max_train_samples, "Use at most this many training examples (0: all)");
  sub->add_option("--max-eval-samples", o->max_eval_samples, "Use at most this many validation/test examples (0: all)");
  sub->add_option("--seed", o->seed, "Seed for initialisation, dropout and shuffling");
  sub->add_option("--dropout", *dropout, "Override hidden and attention dropout (-1: the config's)");
  sub->add_flag("--no-shuffle", o->no_shuffle, "Batches are consecutive rows in file order");
  sub->add_flag("--pad-to-max-length", o->pad_to_max_length,
                "Pad every sequence to --max-length as HF's padding=\"max_length\" does, instead of packing "
                "(same results, only slower: for measuring what packing saves)");
  sub->add_option("--eval-strategy", o->eval_strategy, "epoch | steps | no");
  sub->add_option("--eval-steps", o->eval_steps, "Evaluate every N steps (with --eval-strategy steps)");
  sub->add_option("--eval-batch-size", o->eval_batch_size, "Examples per evaluation batch");
  sub->add_option("--early-stopping-patience", o->early_stopping_patience,
                  "Stop after N evaluations without improvement (0: off)");
  sub->add_option("--metric-for-best-model", o->metric_for_best_model,
                  "accuracy | f1 | macro_f1 | loss | ... (the model kept in --output)");
  sub->add_flag("--freeze-encoder", o->freeze_encoder, "Train only the pooler and classifier");
  sub->add_option("--save-steps", o->save_steps, "Checkpoint every N steps (0: at every evaluation)");
  sub->add_option("--save-total-limit", o->save_total_limit, "Checkpoints kept in --output");
  sub->add_flag("--resume", o->resume, "Continue from the newest checkpoint in --output");
  sub->add_option("--log", o->log_file, "JSON Lines log: one line per optimizer step and per evaluation");
  sub->add_option("--threads", *threads, "Threads (under mpirun: per rank; default: the CPUs the rank may use, shared by the ranks of an unbound machine)");
  sub->add_option("--bucket-mb", o->bucket_mb,
                  "Under mpirun: MiB of gradients per all-reduce, started while the backward pass goes on");
  sub->add_option("--precision", *precision, kPrecisionHelp);
  add_dataset_options(sub, *dataset, /*with_max_samples=*/false);
  add_truncation_options(sub, *truncation);
  sub->callback([o, dataset, dropout, threads, precision, truncation] {
    o->data = dataset->to_options();
    o->truncation = truncation->to_truncation();
    o->precision = precision_from_name(*precision);
    if (*dropout >= 0) o->dropout = *dropout;
    if (*threads < 1) throw Error("--threads must be at least 1");
    omp_set_num_threads(*threads);
    run_training(*o, world_communicator());
  });
}

const bool registered = register_command("train", setup_train);

}  // namespace
}  // namespace bertft
