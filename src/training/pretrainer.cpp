#include "training/pretrainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <omp.h>
#include <optional>

#include "common/error.h"
#include "common/io.h"
#include "common/progress.h"
#include "data/corpus.h"
#include "distributed/gradient_reducer.h"
#include "kernels/dropout.h"
#include "model/checkpoint.h"
#include "tokenizer/tokenizer.h"
#include "training/adamw.h"
#include "training/data_parallel.h"
#include "training/grad_clip.h"
#include "training/masked_lm_step.h"
#include "training/mlm_data.h"
#include "training/run_files.h"
#include "training/schedule.h"

namespace fs = std::filesystem;

namespace bertft {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

const Heads kMaskedLM{.pooler = false, .classifier = false, .mlm = true};

// Under MPI every rank runs a Pretrainer over its shard of each batch (training/data_parallel.h);
// rank 0 alone logs and writes the output, and the validation loss is summed over all ranks' shares.
class Pretrainer {
 public:
  Pretrainer(const PretrainOptions& options, const Communicator& comm)
      : o_(options), comm_(comm), log_(comm.is_root() ? options.log_file : "") {}

  void run() {
    run_on_all_ranks(comm_, [this] {
      validate_options();
      load_model_and_corpus();
    });
    train();
    if (comm_.is_root()) finish();
  }

 private:
  // Each option's own range is checked as the command line is parsed (cli/cmd_pretrain.cpp); these
  // are the ones that depend on each other, and the output directory.
  void validate_options() {
    if (o_.model_dir.empty() == o_.config_file.empty()) throw Error("give either --model or --config");
    if (o_.corpus.empty()) throw Error("--corpus is required");
    if (o_.epochs <= 0 && o_.max_steps <= 0) throw Error("--epochs must be positive (or give --max-steps)");
    if (o_.position_init != "sinusoidal" && o_.position_init != "normal")
      throw Error("--position-init must be sinusoidal or normal, not '" + o_.position_init + "'");
    schedule_ = parse_lr_schedule(o_.lr_scheduler);
    if (comm_.is_root()) prepare_output(o_.output_dir, o_.log_file, o_.resume);
  }

  void load_model_and_corpus() {
    tokenizer_dir_ = o_.model_dir;
    if (tokenizer_dir_.empty()) {
      tokenizer_dir_ = o_.tokenizer_dir.empty() ? fs::path(o_.config_file).parent_path().string() : o_.tokenizer_dir;
      if (tokenizer_dir_.empty()) tokenizer_dir_ = ".";
    }
    tokenizer_ = Tokenizer::from_dir(tokenizer_dir_);
    tokenizer_files_ = read_tokenizer_files(tokenizer_dir_);
    // Resume from the newest readable checkpoint in the output directory, else start from --model or
    // --config. Rank 0 alone reads the output directory; it hands the checkpoint's state to the others.
    LoadOptions load;
    load.heads = kMaskedLM;
    load.seed = o_.seed;
    AdamWOptions adam;
    adam.beta2 = o_.adam_beta2;
    adam.eps = o_.adam_eps;
    adam.weight_decay = o_.weight_decay;
    std::vector<std::string> notices;
    if (comm_.is_root())
      resume_from_ = read_newest_checkpoint(o_.output_dir, o_.resume, model_source(), [&](const std::string& dir) {
        notices.clear();
        model_ = load_model(dir, load, &notices);
        optimizer_.emplace(model_.params, adam);
        load_checkpoint(dir, *optimizer_, state_);
      });
    if (resume_from_.empty()) {
      if (!o_.model_dir.empty()) {
        model_ = load_model(o_.model_dir, load, &notices);
      } else {
        model_.config = load_config(o_.config_file);
        model_.params = ModelParams(model_.config, kMaskedLM);
        init_params(model_.params, model_.config, o_.seed);
        if (o_.position_init == "sinusoidal") init_sinusoidal_positions(model_.params, model_.config);
      }
      optimizer_.emplace(model_.params, adam);
    }
    if (comm_.is_root())
      for (const std::string& n : notices) std::fprintf(stderr, "bertft: notice: %s\n", n.c_str());
    ModelConfig& c = model_.config;
    const std::string model_dir = resume_from_.empty() ? o_.model_dir : resume_from_;
    check_tokenizer_fits(tokenizer_, c,
                         model_dir.empty() ? o_.config_file : (fs::path(model_dir) / "config.json").string());
    resolve_max_length(c, o_.max_length);
    if (o_.dropout) {
      c.hidden_dropout_prob = c.attention_probs_dropout_prob = *o_.dropout;
    }

    const auto started = Clock::now();
    const std::vector<Document> documents = load_corpus(o_.corpus, {.text_column = o_.text_column, .strip_html = o_.strip_html});
    PackedCorpus all = pack_corpus(tokenizer_, documents, o_.max_length);
    // The validation sequences: every k-th packed sequence, the same in every run.
    const int64_t n = all.num_sequences();
    int64_t valid_count = std::min<int64_t>(o_.max_valid_sequences, std::llround(o_.valid_fraction * n));
    if (valid_count >= n) valid_count = 0;
    const int64_t stride = valid_count > 0 ? n / valid_count : 0;
    train_.offsets = valid_.offsets = {0};
    for (int64_t i = 0; i < n; i++) {
      const bool held_out = valid_count > 0 && i % stride == stride - 1 && valid_.num_sequences() < valid_count;
      PackedCorpus& into = held_out ? valid_ : train_;
      into.ids.insert(into.ids.end(), all.ids.begin() + all.offsets[i], all.ids.begin() + all.offsets[i + 1]);
      into.offsets.push_back(static_cast<int64_t>(into.ids.size()));
    }
    train_.documents = all.documents;
    train_.tokens = all.tokens;
    if (!comm_.is_root()) return;
    const json made_with = run_record(documents);
    if (!resume_from_.empty()) check_made_with(resume_from_, state_.made_with, made_with, o_.force);
    state_.made_with = made_with;
    std::fprintf(stderr,
                 "bertft: corpus: %lld documents, %lld tokens, %lld sequences of up to %d tokens (%lld held out "
                 "for validation), %.1f s\n",
                 static_cast<long long>(all.documents), static_cast<long long>(all.tokens),
                 static_cast<long long>(n), o_.max_length, static_cast<long long>(valid_.num_sequences()),
                 std::chrono::duration<double>(Clock::now() - started).count());
  }

  void train() {
    const int64_t n = train_.num_sequences();
    const StepPlan plan = plan_steps(n, o_.batch_size, o_.grad_accum_steps, o_.epochs, o_.max_steps);
    batches_per_epoch_ = plan.batches_per_epoch;
    total_steps_ = plan.total_steps;
    const int64_t warmup = resolve_warmup_steps(o_.warmup_steps, o_.warmup_ratio, total_steps_);
    require_same_plan();

    AdamW& optimizer = *optimizer_;
    ModelParams grads(model_.config, model_.params.heads());
    const Masker masker(tokenizer_, {.mask_rate = o_.mask_rate, .whole_word = o_.whole_word_mask, .seed = o_.seed});
    const int shard_capacity = (o_.batch_size + comm_.size() - 1) / comm_.size();
    const size_t max_tokens = static_cast<size_t>(shard_capacity) * o_.max_length;
    MaskedLMStep step(model_.config, max_tokens, shard_capacity,
                      static_cast<size_t>(shard_capacity * masker.max_masked(o_.max_length)), o_.precision);
    if (!resume_from_.empty()) note_resume(resume_from_, state_.global_step, total_steps_);
    share_from_root(comm_, model_.params, optimizer, state_, !resume_from_.empty());
    if (comm_.is_root()) make_directories(o_.output_dir);
    log_.rewrite(state_);
    GradientReducer reducer(comm_, grads.data(), dense_gradient_ranges(grads, false, false), bucket_floats(o_.bucket_mb));
    StepClock clock;

    StepOptions step_options = step_options_from_config(model_.config);
    Progress progress("pretrain", total_steps_);
    const auto start = Clock::now();
    const double seconds_before = state_.seconds;
    double tokens_seen = 0;
    Batch batch;
    MaskedTokens masked;
    const auto at_stop_step = [this] { return o_.stop_at_step > 0 && state_.global_step >= o_.stop_at_step; };
    stopped_at_step_ = at_stop_step();
    while (state_.global_step < total_steps_ && !out_of_time_ && !stopped_at_step_) {
      const std::vector<int64_t> order = epoch_order(n, o_.seed, state_.epoch, true);
      while (state_.batch_in_epoch < batches_per_epoch_ && state_.global_step < total_steps_) {
        const auto step_start = Clock::now();
        step.zero_grads(grads);
        const int micro = static_cast<int>(
            std::min<int64_t>(o_.grad_accum_steps, batches_per_epoch_ - state_.batch_in_epoch));
        // This rank's part of the step: its share of each micro-batch's mean loss, correct
        // predictions and tokens; then every rank's masked tokens.
        double sums[3] = {0, 0, 0};
        double predicted = 0;
        for (int m = 0; m < micro; m++) {
          const int64_t first = (state_.batch_in_epoch + m) * o_.batch_size;
          const int64_t last = std::min(n, first + o_.batch_size);
          const Shard shard = shard_of(last - first, comm_.rank(), comm_.size());
          batch.clear();
          masked.clear();
          for (int64_t k = first + shard.begin; k < first + shard.end; k++)
            masker.add(train_, order[k], state_.epoch, batch, masked);
          // The loss is the mean over the micro-batch's masked tokens, wherever they are: each
          // rank's mean weighs by its share of them.
          double masked_in_batch = static_cast<double>(masked.positions.size());
          reducer.sum_values(std::span(&masked_in_batch, 1));
          predicted += masked_in_batch;
          const double share = static_cast<double>(masked.positions.size()) / masked_in_batch;
          set_micro_batch_options(step_options, comm_, reducer, share, o_.grad_accum_steps, o_.seed,
                                  state_.global_step, m, micro);
          if (shard.size() == 0) continue;
          const MaskedLMResult r = step.forward_backward(model_.params, grads, batch, masked, step_options);
          sums[0] += share * r.loss;
          sums[1] += static_cast<double>(r.correct);
          sums[2] += static_cast<double>(batch.num_tokens());
        }
        reducer.finish();
        reducer.sum_values(sums);
        const double loss = sums[0] / micro;
        tokens_seen += sums[2];
        if (!std::isfinite(loss))
          throw CollectiveError(diverged_message(state_.global_step + 1, loss, o_.output_dir), comm_.is_root());
        // Computed on rank 0 only: the other ranks' thread counts could round the sum differently,
        // and the clipping must be the same everywhere.
        const double grad_norm = broadcast_value(comm_, comm_.is_root() ? global_grad_norm(grads) : 0.0);
        const double lr = learning_rate_at(schedule_, o_.learning_rate, state_.global_step, warmup, total_steps_);
        optimizer.step(model_.params, grads, lr, clip_coefficient(grad_norm, o_.max_grad_norm));
        clock.add(std::chrono::duration<double>(Clock::now() - step_start).count());
        state_.global_step++;
        state_.batch_in_epoch += micro;
        const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
        state_.seconds = seconds_before + elapsed;
        log_.append(state_, {{"step", state_.global_step}, {"epoch", fractional_epoch()}, {"loss", loss},
                             {"mlm_accuracy", sums[1] / predicted},
                             {"learning_rate", lr}, {"grad_norm", grad_norm}, {"seconds", state_.seconds}});
        char status[96];
        std::snprintf(status, sizeof status, "epoch %.2f loss %.4f %.0f tok/s", fractional_epoch(), loss,
                      tokens_seen / std::max(elapsed, 1e-9));
        if (comm_.is_root()) progress.update(state_.global_step, status);

        if (state_.batch_in_epoch == batches_per_epoch_) {
          state_.epoch++;
          state_.batch_in_epoch = 0;
        }
        // Rank 0's clock decides, so that every rank stops at the same step.
        out_of_time_ = broadcast_value(comm_, o_.max_time > 0 && state_.seconds >= o_.max_time);
        stopped_at_step_ = at_stop_step();
        const bool last = state_.global_step == total_steps_ || out_of_time_ || stopped_at_step_;
        if (state_.global_step % o_.eval_steps == 0 || last) evaluate(step);
        if (state_.global_step % o_.save_steps == 0 || last) {
          require_same_parameters(comm_, model_.params, state_.global_step);
          if (comm_.is_root())
            save_checkpoint(o_.output_dir, state_, optimizer, o_.save_total_limit,
                            [this](const std::string& dir) { save_model_dir(dir); });
        }
        if (out_of_time_ || stopped_at_step_ || state_.batch_in_epoch == 0) break;  // the next epoch gets its own shuffle
      }
    }
    if (comm_.is_root()) progress.finish();
    clock.report(comm_, reducer, omp_get_max_threads());
  }

  const std::string& model_source() const { return o_.model_dir.empty() ? o_.config_file : o_.model_dir; }

  // What this run is made with (see check_made_with): what it trains on and every option that changes
  // the steps it takes (--epochs without --max-steps, --warmup-ratio without --warmup-steps). Not the
  // evaluation and checkpoint cadence, --max-time and --stop-at-step (made to change between resumed
  // runs), threads, or logging.
  json run_record(const std::vector<Document>& documents) const {
    uint64_t corpus = fingerprint(nullptr, 0);
    for (const Document& d : documents) corpus = fingerprint(d.text.c_str(), d.text.size() + 1, corpus);
    std::vector<std::string> model = o_.model_dir.empty() ? std::vector<std::string>{o_.config_file}
                                                          : model_files(o_.model_dir);
    if (!o_.config_file.empty())
      for (const std::string& name : tokenizer_files(tokenizer_dir_))
        model.push_back((fs::path(tokenizer_dir_) / name).string());
    std::string corpus_specs;
    for (const std::string& spec : o_.corpus) corpus_specs += (corpus_specs.empty() ? "" : " ") + spec;
    char dropout[32] = "the config's";
    if (o_.dropout) std::snprintf(dropout, sizeof dropout, "%g", *o_.dropout);
    json record = {
        {o_.model_dir.empty() ? "--config" : "--model", input_record(model_source(), hash_files(model))},
        {"--corpus", input_record(corpus_specs, corpus, static_cast<int64_t>(documents.size()))},
        {"--max-steps", o_.max_steps}, {"--batch-size", o_.batch_size},
        {"--grad-accum-steps", o_.grad_accum_steps}, {"--learning-rate", o_.learning_rate},
        {"--lr-scheduler", lr_schedule_name(schedule_)}, {"--warmup-steps", o_.warmup_steps},
        {"--weight-decay", o_.weight_decay}, {"--adam-beta2", o_.adam_beta2},
        {"--adam-eps", o_.adam_eps}, {"--max-grad-norm", o_.max_grad_norm}, {"--seed", o_.seed},
        {"--max-length", o_.max_length}, {"--mask-rate", o_.mask_rate}, {"--whole-word-mask", o_.whole_word_mask},
        {"--valid-fraction", o_.valid_fraction}, {"--max-valid-sequences", o_.max_valid_sequences},
        {"--dropout", dropout}, {"--precision", precision_name(o_.precision)}};
    if (o_.max_steps == 0) record["--epochs"] = o_.epochs;
    if (o_.warmup_steps == 0) record["--warmup-ratio"] = o_.warmup_ratio;
    if (!o_.config_file.empty()) record["--position-init"] = o_.position_init;
    return record;
  }

  // Ranks that disagree on the data or the options would leave the lockstep of collectives (one
  // waiting forever for another) or train apart: stop them all before the first step.
  void require_same_plan() const {
    const uint64_t corpus = fingerprint(train_.offsets.data(), train_.offsets.size() * sizeof(int64_t),
                                        fingerprint(train_.ids.data(), train_.ids.size() * sizeof(int32_t)));
    require_same(comm_, corpus, "the corpus: every rank must read the same --corpus with the same options");
    require_same(comm_, fingerprint(valid_.ids.data(), valid_.ids.size() * sizeof(int32_t)),
                 "the validation sequences: every rank must read the same --corpus with the same options");
    const std::string plan =
        json{o_.batch_size, o_.grad_accum_steps, total_steps_, batches_per_epoch_, o_.max_length, o_.mask_rate,
             o_.whole_word_mask, o_.eval_steps, o_.save_steps, o_.stop_at_step, o_.seed, o_.bucket_mb,
             model_.params.size()}
            .dump();
    require_same(comm_, fingerprint(plan.data(), plan.size()), "the training options or the model: start every "
                 "rank with the same command line");
  }

  double fractional_epoch() const {
    return state_.epoch + static_cast<double>(state_.batch_in_epoch) / batches_per_epoch_;
  }

  // Masked-LM loss and accuracy on the held-out sequences: dropout off, the masks of epoch 0. Each
  // rank takes its shard of every batch, as in training; the sums are added over the ranks.
  void evaluate(MaskedLMStep& step) {
    if (valid_.num_sequences() == 0) return;
    const Masker masker(tokenizer_, {.mask_rate = o_.mask_rate, .whole_word = o_.whole_word_mask, .seed = o_.seed});
    Batch batch;
    MaskedTokens masked;
    double sums[3] = {0, 0, 0};  // loss over the masked tokens, correct predictions, masked tokens
    for (int64_t first = 0; first < valid_.num_sequences(); first += o_.batch_size) {
      const Shard shard = shard_of(std::min(valid_.num_sequences() - first, int64_t{o_.batch_size}), comm_.rank(),
                                   comm_.size());
      if (shard.size() == 0) continue;
      batch.clear();
      masked.clear();
      for (int64_t k = first + shard.begin; k < first + shard.end; k++) masker.add(valid_, k, 0, batch, masked);
      const MaskedLMResult r = step.forward(model_.params, batch, masked, StepOptions{});
      sums[0] += static_cast<double>(r.loss) * static_cast<double>(masked.positions.size());
      sums[1] += static_cast<double>(r.correct);
      sums[2] += static_cast<double>(masked.positions.size());
    }
    comm_.all_reduce_sum(sums);
    const double loss = sums[0] / sums[2];
    json entry = {{"step", state_.global_step}, {"epoch", fractional_epoch()}, {"eval_loss", loss},
                  {"eval_perplexity", std::exp(loss)}, {"eval_mlm_accuracy", sums[1] / sums[2]},
                  {"seconds", state_.seconds}};
    log_.append(state_, entry);
    last_eval_ = entry;
  }

  void save_model_dir(const std::string& dir) const {
    save_model(model_, dir);
    write_tokenizer_files(tokenizer_files_, dir);
  }

  void finish() {
    save_model_dir(o_.output_dir);
    json summary = {{"output", o_.output_dir}, {"global_step", state_.global_step}, {"total_steps", total_steps_},
                    {"seconds", state_.seconds}, {"stopped_by_time", out_of_time_},
                    {"stopped_at_step", stopped_at_step_ && state_.global_step < total_steps_}};
    for (const char* key : {"eval_loss", "eval_perplexity", "eval_mlm_accuracy"})
      if (last_eval_.contains(key)) summary[key] = last_eval_[key];
    write_file_atomic((fs::path(o_.output_dir) / "metrics.json").string(), summary.dump(2) + "\n");
    std::printf("%s\n", summary.dump().c_str());
  }

  const PretrainOptions& o_;
  const Communicator& comm_;
  RunLog log_;
  LrSchedule schedule_ = LrSchedule::Linear;
  std::string tokenizer_dir_, resume_from_;
  Tokenizer tokenizer_;
  TokenizerFiles tokenizer_files_;  // written with every saved model
  Model model_;
  std::optional<AdamW> optimizer_;  // made with the model, or read from the checkpoint resumed
  PackedCorpus train_, valid_;
  TrainerState state_;
  int64_t batches_per_epoch_ = 0, total_steps_ = 0;
  bool out_of_time_ = false;
  bool stopped_at_step_ = false;
  json last_eval_ = json::object();
};

}  // namespace

void run_pretraining(const PretrainOptions& options, const Communicator& comm) { Pretrainer(options, comm).run(); }

}  // namespace bertft
