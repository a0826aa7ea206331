// bertft pretrain: masked-LM pretraining (see training/pretrainer.h).

#include <memory>

#include "cli/command.h"
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
  auto keep_html = std::make_shared<bool>(false);
  CLI::App* sub = app.add_subcommand(
      "pretrain", "Masked-LM pretraining of a BertForMaskedLM model, from scratch or further from a checkpoint");
  auto* model = sub->add_option("--model", o->model_dir,
                                "Model directory to continue from (HF BertForMaskedLM, BertForPreTraining or BertModel)");
  auto* config = sub->add_option("--config", o->config_file, "config.json of a new, randomly initialised model")
                     ->check(CLI::ExistingFile);
  model->excludes(config);
  sub->add_option("--tokenizer", o->tokenizer_dir,
                  "Tokenizer directory for --config (default: the config's directory), e.g. from `bertft vocab`");
  sub->add_option("--corpus", o->corpus,
                  "Text: plain text files (a document per line), JSON Lines ({\"text\"}), aclImdb directories or "
                  "ARCHIVE#MEMBER (e.g. aclImdb.tar.gz#aclImdb/train/unsup); several allowed")
      ->required();
  sub->add_option("--output", o->output_dir, "Output directory: the model (HF BertForMaskedLM), metrics.json, checkpoints")
      ->required();
  sub->add_option("--epochs", o->epochs, "Passes over the corpus");
  sub->add_option("--max-steps", o->max_steps, "Total optimizer steps (0: epochs x steps per epoch); sets the schedule");
  sub->add_option("--stop-at-step", o->stop_at_step,
                  "Stop at this step with a checkpoint, the schedule still that of --max-steps (0: run to the end); --resume continues");
  sub->add_option("--max-time", o->max_time,
                  "Stop after this many seconds of training, summed over resumed runs, with a checkpoint (0: no limit)");
  sub->add_option("--batch-size", o->batch_size, "Sequences per micro-batch");
  sub->add_option("--max-length", o->max_length, "Tokens per packed sequence incl. [CLS]/[SEP]");
  sub->add_option("--learning-rate", o->learning_rate, "Peak learning rate");
  sub->add_option("--weight-decay", o->weight_decay, "AdamW decoupled weight decay (not on biases and LayerNorm)");
  sub->add_option("--adam-beta2", o->adam_beta2, "AdamW beta2 (RoBERTa: 0.98)");
  sub->add_option("--adam-eps", o->adam_eps, "AdamW epsilon");
  sub->add_option("--warmup-steps", o->warmup_steps, "Linear warmup steps (overrides --warmup-ratio when > 0)");
  sub->add_option("--warmup-ratio", o->warmup_ratio, "Warmup as a fraction of the total steps");
  sub->add_option("--lr-scheduler", o->lr_scheduler, "linear | cosine | constant (after warmup)");
  sub->add_option("--max-grad-norm", o->max_grad_norm, "Clip the global gradient norm to this (0: off)");
  sub->add_option("--grad-accum-steps", o->grad_accum_steps, "Micro-batches per optimizer step");
  sub->add_option("--mask-rate", o->mask_rate, "Share of the tokens to predict (80% [MASK], 10% random, 10% kept)");
  sub->add_flag("--whole-word-mask", o->whole_word_mask, "Mask whole words (a token and its ## pieces)");
  sub->add_option("--valid-fraction", o->valid_fraction, "Share of the packed sequences held out for validation");
  sub->add_option("--max-valid-sequences", o->max_valid_sequences, "At most this many validation sequences");
  sub->add_option("--eval-steps", o->eval_steps, "Validation masked-LM loss every N steps (and at the end)");
  sub->add_option("--save-steps", o->save_steps, "Checkpoint every N steps (and at the end)");
  sub->add_option("--save-total-limit", o->save_total_limit, "Checkpoints kept in --output");
  sub->add_option("--seed", o->seed, "Seed for initialisation, masks, dropout and shuffling");
  sub->add_option("--dropout", *dropout, "Override hidden and attention dropout (-1: the config's)");
  sub->add_option("--position-init", o->position_init,
                  "With --config: position embeddings start as sinusoids (escape the unigram plateau sooner) or normal(0, initializer_range) as HF does")
      ->check(CLI::IsMember({"sinusoidal", "normal"}))
      ->capture_default_str();
  sub->add_option("--text-column", o->text_column, "JSON Lines key of the text (default: text, review, sentence, content)");
  sub->add_flag("--keep-html", *keep_html, "Keep <br /> tags (by default they become spaces)");
  sub->add_flag("--resume", o->resume, "Continue from the newest checkpoint in --output");
  sub->add_option("--log", o->log_file, "JSON Lines log: one line per optimizer step and per evaluation");
  sub->add_option("--threads", *threads, "Threads (under mpirun: per rank; default: the CPUs the rank may use, shared by the ranks of an unbound machine)");
  sub->add_option("--bucket-mb", o->bucket_mb,
                  "Under mpirun: MiB of gradients per all-reduce, started while the backward pass goes on");
  sub->add_option("--precision", *precision, kPrecisionHelp);
  sub->callback([o, dropout, threads, precision, keep_html, model, config] {
    if (model->count() == 0 && config->count() == 0) throw CLI::RequiredError("--model or --config");
    o->precision = precision_from_name(*precision);
    o->strip_html = !*keep_html;
    if (*dropout >= 0) o->dropout = *dropout;
    use_threads(*threads);
    run_pretraining(*o, world_communicator());
  });
}

const bool registered = register_command("pretrain", setup_pretrain);

}  // namespace
}  // namespace bertft
