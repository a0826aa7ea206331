#pragma once
// `bertft pretrain`: pretraining (or further pretraining from a checkpoint) on unlabeled text, with
// the optimizer, schedule, checkpoints, --resume and log of `train` (training/run_files.h), a step
// budget and a wall-time budget. Two objectives: masked LM (a family's *ForMaskedLM), or ELECTRA's
// replaced-token detection (training/electra_step.h: an ElectraForPreTraining discriminator, saved in
// the output directory, trained with an ElectraForMaskedLM generator, saved in its generator/).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/precision.h"
#include "distributed/communicator.h"

namespace bertft {

struct PretrainOptions {
  std::string model_dir;       // start from this checkpoint (its tokenizer too), or
  std::string config_file;     // a config.json to initialise randomly, with
  std::string tokenizer_dir;   // ... the tokenizer files from here (default: the config's directory)
  std::vector<std::string> corpus;
  std::string output_dir;
  Precision precision = Precision::Fp32;
  std::string text_column;      // JSON Lines key of the text ("" = text, review, sentence, content)
  std::optional<bool> strip_html;  // <br /> to spaces; unset: as the --model records it, else off

  double epochs = 1;
  int batch_size = 32;
  int max_length = 128;         // tokens per packed sequence; 0: the longest the model takes
  double learning_rate = 5e-4;
  double weight_decay = 0.01;
  double adam_beta1 = 0.9;
  double adam_beta2 = 0.999;
  double adam_epsilon = 1e-8;
  int64_t warmup_steps = 0;
  double warmup_ratio = 0.06;
  std::string lr_scheduler = "linear";
  double max_grad_norm = 1.0;
  int grad_accum_steps = 1;
  int64_t max_steps = 0;       // 0: epochs x steps per epoch
  double max_time = 0;         // seconds of training over all resumed runs; 0: no limit
  int64_t stop_at_step = 0;    // stop (with a checkpoint) at this step; the schedule still ends at max_steps
  std::string objective = "mlm";  // "mlm" or "electra"
  double generator_size = 0.25;     // electra: the generator's width, a fraction of the discriminator's
  double discriminator_weight = 50;  // electra: lambda, the discriminator loss's weight
  double mask_rate = 0.15;
  // Of the chosen tokens, the shares replaced by [MASK] and by a random token; unset: 0.8 and 0.1
  // (BERT's), with electra 0.85 and 0 (ELECTRA's).
  std::optional<double> mask_replace_prob, random_replace_prob;
  bool whole_word_mask = false;
  double valid_fraction = 0.01;  // of the packed sequences, held out for the masked-LM loss
  int64_t max_valid_sequences = 2000;
  int64_t eval_steps = 1000;
  int64_t save_steps = 1000;
  int save_total_limit = 2;
  uint64_t seed = 42;
  std::optional<float> dropout;  // overrides hidden and attention dropout
  std::string position_init = "sinusoidal";  // with --config: "normal" (HF's) or "sinusoidal"
  bool resume = false;
  std::string resume_from_checkpoint;  // with resume: this checkpoint directory instead of the newest in output_dir
  bool force = false;           // resume a checkpoint made with other corpus, model or options
  std::string log_file;
  double bucket_mb = 8;        // data-parallel runs: gradient all-reduce bucket size (MiB)
};

// On every rank of `comm` (one process: a single-process communicator); see training/data_parallel.h.
void run_pretraining(const PretrainOptions& options, const Communicator& comm);

}  // namespace bertft
