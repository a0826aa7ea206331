// bertft pretrain: masked-LM or ELECTRA pretraining (see training/pretrainer.h).

#include <memory>

#include "cli/command.h"
#include "cli/dataset_options.h"
#include "cli/truncation_options.h"
#include "cli/model_option.h"
#include "cli/train_options.h"
#include "common/error.h"
#include "distributed/communicator.h"
#include "common/precision.h"
#include "training/pretrainer.h"

namespace bertft {
namespace {

void setup_pretrain(CLI::App& app) {
  auto o = std::make_shared<PretrainOptions>();
  auto dropout = std::make_shared<float>(-1);
  auto threads = std::make_shared<int>(default_threads());
  auto precision = std::make_shared<std::string>("auto");
  auto mask_replace_prob = std::make_shared<double>(-1);
  auto random_replace_prob = std::make_shared<double>(-1);
  CLI::App* sub = app.add_subcommand(
      "pretrain", "Masked-LM or ELECTRA pretraining, from scratch or further from a checkpoint");
  auto* model = bertft::add_model_option(sub, o->model_dir,
                                         "Model to continue from (a masked LM, pretraining or base model)",
                                         "--model,--model-name-or-path");
  auto* config = sub->add_option("--config", o->config_file, "config.json of a new, randomly initialised model")
                     ->check(CLI::ExistingFile);
  model->excludes(config);
  sub->add_option("--tokenizer", o->tokenizer_dir,
                  "Tokenizer directory for --config (default: the config's directory), e.g. from `bertft vocab`");
  sub->add_option("--corpus", o->corpus,
                  "Text: plain text files (a document per line), JSON Lines ({\"text\"}), aclImdb directories or "
                  "ARCHIVE#MEMBER (e.g. aclImdb.tar.gz#aclImdb/train/unsup); several allowed")
      ->required();
  sub->add_option("--output,--output-dir", o->output_dir,
                  "Output directory: the model (a *ForMaskedLM; electra: ElectraForPreTraining, with its "
                  "ElectraForMaskedLM generator in generator/), metrics.json, checkpoints")
      ->required();
  sub->add_option("--objective", o->objective,
                  "mlm (masked LM) | electra (replaced-token detection with a small generator, Clark et al. "
                  "2020; needs an ELECTRA config)")
      ->check(CLI::IsMember({"mlm", "electra"}))
      ->capture_default_str();
  add_number_option(sub, "--generator-size", o->generator_size, "(0, 1]",
                    "electra: the generator's hidden size, heads and FFN width as a fraction of the discriminator's");
  add_number_option(sub, "--discriminator-weight", o->discriminator_weight, "[0, inf)",
                    "electra: weight of the replaced-token loss against the generator's masked-LM loss");
  add_number_option(sub, "--epochs,--num-train-epochs", o->epochs, kEpochsRange, "Passes over the corpus");
  add_number_option(sub, "--max-steps", o->max_steps, "[0, inf)",
                    "Total optimizer steps (0: epochs x steps per epoch); sets the schedule");
  add_number_option(sub, "--stop-at-step", o->stop_at_step, "[0, inf)",
                    "Stop at this step with a checkpoint, the schedule still that of --max-steps (0: run to the "
                    "end); --resume continues");
  add_number_option(sub, "--max-time", o->max_time, "[0, inf)",
                    "Stop after this many seconds of training, summed over resumed runs, with a checkpoint (0: no "
                    "limit)");
  add_number_option(sub, "--batch-size,--per-device-train-batch-size", o->batch_size, kBatchSizeRange, "Sequences per micro-batch");
  add_number_option(sub, "--max-length,--max-seq-length", o->max_length, "[0, inf)",
                    max_length_help("packed sequence"));
  add_number_option(sub, "--learning-rate", o->learning_rate, "[0, inf)", "Peak learning rate");
  add_number_option(sub, "--weight-decay", o->weight_decay, "[0, inf)",
                    "AdamW decoupled weight decay (not on biases and LayerNorm)");
  add_adam_options(sub, o->adam_beta1, o->adam_beta2, o->adam_epsilon, " (RoBERTa: 0.98)");
  add_number_option(sub, "--warmup-steps", o->warmup_steps, "[0, inf)",
                    "Linear warmup steps (overrides --warmup-ratio when > 0)");
  add_number_option(sub, "--warmup-ratio", o->warmup_ratio, "[0, 1]", "Warmup as a fraction of the total steps");
  sub->add_option("--lr-scheduler,--lr-scheduler-type", o->lr_scheduler, "linear | cosine | constant (after warmup)");
  add_number_option(sub, "--max-grad-norm", o->max_grad_norm, "[0, inf)",
                    "Clip the global gradient norm to this (0: off)");
  add_number_option(sub, "--grad-accum-steps,--gradient-accumulation-steps", o->grad_accum_steps, "[1, 65536]", "Micro-batches per optimizer step");
  add_number_option(sub, "--mask-rate", o->mask_rate, "(0, 1)", "Share of the tokens to predict");
  add_number_option(sub, "--mask-replace-prob", *mask_replace_prob, "[0, 1]",
                    "Of the tokens to predict, the share replaced by [MASK]")
      ->default_str("0.8; electra 0.85");
  add_number_option(sub, "--random-replace-prob", *random_replace_prob, "[0, 1]",
                    "Of the tokens to predict, the share replaced by a random token (the rest stay)")
      ->default_str("0.1; electra 0");
  add_bool_option(sub, "--whole-word-mask", o->whole_word_mask, "Mask whole words (a token and its ## pieces)");
  add_number_option(sub, "--valid-fraction", o->valid_fraction, "[0, 1)",
                    "Share of the packed sequences held out for validation");
  add_number_option(sub, "--max-valid-sequences", o->max_valid_sequences, "[0, inf)",
                    "At most this many validation sequences");
  add_number_option(sub, "--eval-steps", o->eval_steps, "[1, inf)",
                    "Validation masked-LM loss every N steps (and at the end)");
  add_number_option(sub, "--save-steps", o->save_steps, "[1, inf)", "Checkpoint every N steps (and at the end)");
  add_number_option(sub, "--save-total-limit", o->save_total_limit, "[1, inf)", "Checkpoints kept in --output");
  add_number_option(sub, "--seed", o->seed, "[0, inf)", "Seed for initialisation, masks, dropout and shuffling");
  add_number_option(sub, "--dropout", *dropout, "[0, 1)", "Override hidden and attention dropout")
      ->default_str("the config's");
  sub->add_option("--position-init", o->position_init,
                  "With --config: position embeddings start as sinusoids (escape the unigram plateau sooner) or normal(0, initializer_range) as HF does")
      ->check(CLI::IsMember({"sinusoidal", "normal"}))
      ->capture_default_str();
  sub->add_option("--text-column", o->text_column, "JSON Lines key of the text (default: text, review, sentence, content)");
  add_strip_html_option(sub, o->strip_html);
  add_resume_options(sub, o->resume, o->resume_from_checkpoint, o->force, "corpus, model or training options");
  sub->add_option("--log", o->log_file, "JSON Lines log: one line per optimizer step and per evaluation");
  add_threads_option(sub, *threads);
  add_number_option(sub, "--bucket-mb", o->bucket_mb, "(0, 1e6]",
                    "Under mpirun: MiB of gradients per all-reduce, started while the backward pass goes on");
  sub->add_option("--precision", *precision, kTrainingPrecisionHelp);
  sub->callback([o, dropout, threads, precision, model, config, mask_replace_prob, random_replace_prob] {
    if (model->count() == 0 && config->count() == 0) throw CLI::RequiredError("--model or --config");
    if (*mask_replace_prob >= 0) o->mask_replace_prob = *mask_replace_prob;
    if (*random_replace_prob >= 0) o->random_replace_prob = *random_replace_prob;
    o->precision = training_precision_from_name(*precision);
    if (*dropout >= 0) o->dropout = *dropout;
    use_threads(*threads);
    run_pretraining(*o, world_communicator());
  });
}

const bool registered = register_command("pretrain", setup_pretrain);

}  // namespace
}  // namespace bertft
