#include "training/pretrainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>

#include "common/error.h"
#include "common/io.h"
#include "data/corpus.h"
#include "distributed/gradient_reducer.h"
#include "evaluation/metrics.h"
#include "inference/inference_defaults.h"
#include "model/checkpoint.h"
#include "tokenizer/tokenizer.h"
#include "training/adamw.h"
#include "training/electra_step.h"
#include "training/grad_clip.h"
#include "training/masked_lm_step.h"
#include "training/mlm_data.h"
#include "training/run_files.h"
#include "training/schedule.h"
#include "training/training_loop.h"

namespace fs = std::filesystem;

namespace bertft {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

const Heads kMaskedLM{.pooler = false, .classifier = false, .mlm = true};
const Heads kDiscriminator{.pooler = false, .classifier = false, .mlm = false, .discriminator = true};

// Under MPI every rank runs a Pretrainer over its shard of each batch (training/data_parallel.h);
// rank 0 alone logs and writes the output, and the validation loss is summed over all ranks' shares.
class Pretrainer final : public TrainingTask {
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
    if (o_.objective != "mlm" && o_.objective != "electra")
      throw Error("--objective must be mlm or electra, not '" + o_.objective + "'");
    if (o_.position_init != "sinusoidal" && o_.position_init != "normal")
      throw Error("--position-init must be sinusoidal or normal, not '" + o_.position_init + "'");
    validate_masking(masking_options());
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
    load.heads = electra() ? kDiscriminator : kMaskedLM;
    load.seed = o_.seed;
    AdamWOptions adam;
    adam.beta1 = o_.adam_beta1;
    adam.beta2 = o_.adam_beta2;
    adam.eps = o_.adam_epsilon;
    adam.weight_decay = o_.weight_decay;
    std::vector<std::string> notices;
    if (comm_.is_root())
      resume_from_ = read_resume_checkpoint(o_.output_dir, o_.resume, o_.resume_from_checkpoint, model_source(),
                                            [&](const std::string& dir) {
        notices.clear();
        model_ = load_pretraining_model(dir, load, notices);
        optimizer_.emplace(model_.params, adam);
        load_checkpoint(dir, *optimizer_, state_);
      });
    if (resume_from_.empty()) {
      if (!o_.model_dir.empty()) {
        model_ = load_pretraining_model(o_.model_dir, load, notices);
      } else {
        model_.config = load_config(o_.config_file);
        require_electra_family(model_.config, o_.config_file);
        model_.params = electra() ? ModelParams(model_.config, kDiscriminator,
                                                generator_config(model_.config, o_.generator_size))
                                  : ModelParams(model_.config, kMaskedLM);
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
    max_length_ = resolve_max_length(c, o_.max_length);
    if (max_length_ < 3) throw Error("--max-length must be at least 3 ([CLS], a token, [SEP]), or 0: the longest the model takes");
    // Text cleaning: as given, else as the starting model records it; saved with the model for fine-tuning.
    InferenceDefaults defaults = inference_defaults(c, model_dir.empty() ? o_.config_file
                                                                        : (fs::path(model_dir) / "config.json").string());
    defaults.strip_html = o_.strip_html.value_or(defaults.strip_html);
    record_inference_defaults(c, defaults);
    if (o_.dropout) {
      c.hidden_dropout_prob = c.attention_probs_dropout_prob = *o_.dropout;
    }
    if (electra()) generator_config_ = generator_config(c, o_.generator_size);

    const auto started = Clock::now();
    const std::vector<Document> documents = load_corpus(o_.corpus, {.text_column = o_.text_column, .strip_html = defaults.strip_html});
    PackedCorpus all = pack_corpus(tokenizer_, documents, max_length_);
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
                 "bertft: notice: corpus: %lld documents, %lld tokens, %lld sequences of up to %d tokens (%lld held out "
                 "for validation), %.1f s\n",
                 static_cast<long long>(all.documents), static_cast<long long>(all.tokens),
                 static_cast<long long>(n), max_length_, static_cast<long long>(valid_.num_sequences()),
                 std::chrono::duration<double>(Clock::now() - started).count());
  }

  void train() {
    ModelParams grads = electra() ? ModelParams(model_.config, kDiscriminator, generator_config_)
                                  : ModelParams(model_.config, model_.params.heads());
    TrainingLoop loop(loop_options(), comm_, *this, {model_.params, grads, *optimizer_, state_, log_});
    plan_ = loop.plan();
    require_same_plan();
    masker_.emplace(tokenizer_, masking_options());
    const int shard = plan_.max_shard_examples;
    const size_t max_tokens = static_cast<size_t>(shard) * max_length_;
    const size_t max_masked = static_cast<size_t>(shard * masker_->max_masked(max_length_));
    if (electra())
      electra_step_.emplace(model_.config, generator_config_, max_tokens, shard, max_masked, o_.precision,
                            static_cast<float>(o_.discriminator_weight));
    else
      step_.emplace(model_.config, max_tokens, shard, max_masked, o_.precision);
    end_ = loop.run(resume_from_);
  }

  bool electra() const { return o_.objective == "electra"; }
  MaskingOptions masking_options() const {
    return {.mask_rate = o_.mask_rate, .mask_replace_prob = mask_replace_prob(),
            .random_replace_prob = random_replace_prob(), .whole_word = o_.whole_word_mask, .draws = electra(),
            .seed = o_.seed};
  }
  double mask_replace_prob() const { return o_.mask_replace_prob.value_or(electra() ? 0.85 : 0.8); }
  double random_replace_prob() const { return o_.random_replace_prob.value_or(electra() ? 0.0 : 0.1); }

  void require_electra_family(const ModelConfig& config, const std::string& path) const {
    if (electra() && config.family != Family::Electra)
      throw Error("--objective electra trains an ELECTRA model, but " + path + " has model_type \"" +
                  config.arch().model_type + "\" (make it \"electra\", with embedding_size if it differs from "
                  "hidden_size)");
  }

  // A model directory as the objective trains it: a masked LM, or for ELECTRA the discriminator in DIR
  // and the generator in DIR/generator (a new one when there is none), joint.
  Model load_pretraining_model(const std::string& dir, const LoadOptions& load,
                               std::vector<std::string>& notices) const {
    Model model = load_model(dir, load, &notices);
    if (!electra()) return model;
    const std::string config_path = (fs::path(dir) / "config.json").string();
    require_electra_family(model.config, config_path);
    const ModelConfig generator = generator_config(model.config, o_.generator_size);
    Model joint{model.config, ModelParams(model.config, kDiscriminator, generator)};
    const fs::path generator_dir = fs::path(dir) / "generator";
    if (fs::exists(generator_dir / "config.json")) {
      const Model stored = load_model(generator_dir.string(), generator_load_options(), &notices);
      const ModelConfig& g = stored.config;
      if (g.family != Family::Electra || g.hidden_size != generator.hidden_size ||
          g.num_hidden_layers != generator.num_hidden_layers ||
          g.num_attention_heads != generator.num_attention_heads ||
          g.intermediate_size != generator.intermediate_size || g.embedding_width() != generator.embedding_width())
        fail_file((generator_dir / "config.json").string(),
                  "this generator is not the one --generator-size " + json(o_.generator_size).dump() +
                      " makes for " + config_path + " (hidden_size " + std::to_string(generator.hidden_size) + ", " +
                      std::to_string(generator.num_attention_heads) + " heads, intermediate_size " +
                      std::to_string(generator.intermediate_size) + ")");
      copy_tensors(stored.params, *joint.params.generator());
    } else {
      for (const TensorSpec& spec : joint.params.specs())
        if (spec.name.starts_with(kGeneratorPrefix)) init_tensor(spec, joint.params.tensor(spec), generator, o_.seed);
      notices.push_back("no generator in " + generator_dir.string() + ": starting a new one, hidden_size " +
                        std::to_string(generator.hidden_size));
    }
    copy_tensors(model.params, joint.params);  // the shared embeddings are the discriminator's
    return joint;
  }

  LoadOptions generator_load_options() const {
    LoadOptions load;
    load.heads = kGeneratorHeads;
    load.seed = o_.seed;
    return load;
  }


  LoopOptions loop_options() const {
    LoopOptions loop = shared_loop_options(o_);
    loop.name = "pretrain";
    loop.examples = train_.num_sequences();
    loop.step_options = step_options_from_config(model_.config);
    loop.has_validation = valid_.num_sequences() > 0;
    loop.budget = Budget{.max_seconds = o_.max_time, .stop_at_step = o_.stop_at_step};
    return loop;
  }

  void begin_step(ModelParams& grads) override {
    if (electra())
      electra_step_->zero_grads(grads);
    else
      step_->zero_grads(grads);
    masked_in_step_ = 0;
  }

  double fill_micro_batch(std::span<const int64_t> examples, int64_t, int64_t epoch,
                          GradientReducer& reducer) override {
    batch_.clear();
    masked_.clear();
    for (const int64_t k : examples) masker_->add(train_, k, epoch, batch_, masked_);
    // The (generator's) loss is the mean over the micro-batch's masked tokens, wherever they are: each
    // rank's mean weighs by its share of them. ELECTRA's discriminator loss is the mean over all the
    // tokens: its share of them, relative to that of the masked tokens, scales that part.
    double in_batch[2] = {static_cast<double>(masked_.positions.size()), static_cast<double>(batch_.num_tokens())};
    reducer.sum_values(in_batch);
    masked_in_step_ += in_batch[0];
    const double masked_share = static_cast<double>(masked_.positions.size()) / in_batch[0];
    const double token_share = static_cast<double>(batch_.num_tokens()) / in_batch[1];
    token_share_per_masked_share_ = masked_share > 0 ? token_share / masked_share : 0;
    return masked_share;
  }

  MicroBatchResult forward_backward(ModelParams& grads, const StepOptions& options) override {
    const auto tokens = static_cast<double>(batch_.num_tokens());
    if (!electra()) {
      const MaskedLMResult r = step_->forward_backward(model_.params, grads, batch_, masked_, options);
      return {.loss = r.loss, .tokens = tokens, .counts = {static_cast<double>(r.correct)}};
    }
    const auto ratio = static_cast<float>(token_share_per_masked_share_);
    const float weight = static_cast<float>(o_.discriminator_weight);
    const ElectraResult r =
        electra_step_->forward_backward(model_.params, grads, batch_, masked_, options, options.grad_scale * weight * ratio);
    const auto masked = static_cast<double>(masked_.positions.size());
    return {.loss = r.generator_loss + weight * ratio * r.discriminator_loss, .tokens = tokens,
            .counts = {static_cast<double>(r.generator_correct), r.generator_loss * masked,
                       r.discriminator_loss * tokens, static_cast<double>(r.discriminator_correct),
                       static_cast<double>(r.replaced), tokens}};
  }

  double gradient_norm(const ModelParams& grads) const override { return global_grad_norm(grads); }

  // ELECTRA: counts = generator's correct predictions, its loss sum, the discriminator's loss sum and
  // correct tokens, replaced tokens, tokens.
  void add_step_fields(json& entry, const StepCounts& counts) const override {
    entry["mlm_accuracy"] = counts[0] / masked_in_step_;
    if (!electra()) return;
    entry["generator_loss"] = counts[1] / masked_in_step_;
    entry["discriminator_loss"] = counts[2] / counts[5];
    entry["discriminator_accuracy"] = counts[3] / counts[5];
    entry["replaced_share"] = counts[4] / masked_in_step_;
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
        {"--weight-decay", o_.weight_decay}, {"--adam-beta1", o_.adam_beta1}, {"--adam-beta2", o_.adam_beta2},
        {"--adam-epsilon", o_.adam_epsilon}, {"--max-grad-norm", o_.max_grad_norm}, {"--seed", o_.seed},
        {"--max-length", o_.max_length}, {"--objective", o_.objective}, {"--mask-rate", o_.mask_rate},
        {"--mask-replace-prob", mask_replace_prob()}, {"--random-replace-prob", random_replace_prob()},
        {"--whole-word-mask", o_.whole_word_mask},
        {"--valid-fraction", o_.valid_fraction}, {"--max-valid-sequences", o_.max_valid_sequences},
        {"--dropout", dropout}, {"--precision", precision_name(o_.precision)}};
    if (o_.max_steps == 0) record["--epochs"] = o_.epochs;
    if (o_.warmup_steps == 0) record["--warmup-ratio"] = o_.warmup_ratio;
    if (!o_.config_file.empty()) record["--position-init"] = o_.position_init;
    if (electra()) {
      record["--generator-size"] = o_.generator_size;
      record["--discriminator-weight"] = o_.discriminator_weight;
    }
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
        json{o_.batch_size, o_.grad_accum_steps, plan_.total_steps, plan_.batches_per_epoch, o_.max_length,
             o_.mask_rate, o_.whole_word_mask, o_.objective, o_.generator_size, o_.eval_steps, o_.save_steps, o_.stop_at_step, o_.seed, o_.bucket_mb,
             model_.params.size()}
            .dump();
    require_same(comm_, fingerprint(plan.data(), plan.size()), "the training options or the model: start every "
                 "rank with the same command line");
  }

  // Masked-LM loss and accuracy on the held-out sequences: dropout off, the masks of epoch 0. Each
  // rank takes its shard of every batch, as in training; the sums are added over the ranks.
  std::optional<EvalResult> evaluate() override {
    if (electra()) return evaluate_electra();
    double sums[3] = {0, 0, 0};  // loss over the masked tokens, correct predictions, masked tokens
    for (int64_t first = 0; first < valid_.num_sequences(); first += o_.batch_size) {
      const Shard shard = shard_of(std::min(valid_.num_sequences() - first, int64_t{o_.batch_size}), comm_.rank(),
                                   comm_.size());
      if (shard.size() == 0) continue;
      batch_.clear();
      masked_.clear();
      for (int64_t k = first + shard.begin; k < first + shard.end; k++) masker_->add(valid_, k, 0, batch_, masked_);
      const MaskedLMResult r = step_->forward(model_.params, batch_, masked_, StepOptions{});
      sums[0] += static_cast<double>(r.loss) * static_cast<double>(masked_.positions.size());
      sums[1] += static_cast<double>(r.correct);
      sums[2] += static_cast<double>(masked_.positions.size());
    }
    comm_.all_reduce_sum(sums);
    const double loss = sums[0] / sums[2];
    last_eval_ = {{"eval_loss", loss}, {"eval_perplexity", std::exp(loss)}, {"eval_mlm_accuracy", sums[1] / sums[2]},
                  {"seconds", state_.seconds}};
    return EvalResult{.metrics = last_eval_};
  }

  // ELECTRA on the held-out sequences (dropout off, the masks and draws of epoch 0): the generator's
  // masked-LM loss and accuracy, and the discriminator's loss, accuracy, precision, recall and ROC AUC
  // over all their tokens (ELECTRA's disc_* metrics). Rank 0 alone evaluates: the AUC needs every score.
  std::optional<EvalResult> evaluate_electra() {
    if (!comm_.is_root()) return std::nullopt;
    double generator_loss = 0, generator_correct = 0, masked = 0, discriminator_loss = 0, discriminator_correct = 0;
    double true_positives = 0, predicted_positives = 0;
    std::vector<float> logits;
    std::vector<uint8_t> replaced;
    for (int64_t first = 0; first < valid_.num_sequences(); first += plan_.max_shard_examples) {
      batch_.clear();
      masked_.clear();
      const int64_t end = std::min(valid_.num_sequences(), first + plan_.max_shard_examples);
      for (int64_t k = first; k < end; k++) masker_->add(valid_, k, 0, batch_, masked_);
      const ElectraResult r = electra_step_->forward(model_.params, batch_, masked_, StepOptions{});
      const auto batch_masked = static_cast<double>(masked_.positions.size());
      generator_loss += r.generator_loss * batch_masked;
      generator_correct += static_cast<double>(r.generator_correct);
      masked += batch_masked;
      discriminator_loss += r.discriminator_loss * static_cast<double>(batch_.num_tokens());
      discriminator_correct += static_cast<double>(r.discriminator_correct);
      const std::span<const float> batch_logits = electra_step_->discriminator_logits();
      const std::span<const uint8_t> batch_replaced = electra_step_->replaced();
      for (size_t t = 0; t < batch_logits.size(); t++) {
        predicted_positives += batch_logits[t] > 0;
        true_positives += batch_logits[t] > 0 && batch_replaced[t];
      }
      logits.insert(logits.end(), batch_logits.begin(), batch_logits.end());
      replaced.insert(replaced.end(), batch_replaced.begin(), batch_replaced.end());
    }
    const auto tokens = static_cast<double>(logits.size());
    const double positives = static_cast<double>(std::count(replaced.begin(), replaced.end(), uint8_t{1}));
    const double g = generator_loss / masked, d = discriminator_loss / tokens;
    auto ratio = [](double num, double den) { return den > 0 ? num / den : 0.0; };
    last_eval_ = {{"eval_loss", g + o_.discriminator_weight * d},
                  {"eval_generator_loss", g},
                  {"eval_perplexity", std::exp(g)},
                  {"eval_mlm_accuracy", generator_correct / masked},
                  {"eval_discriminator_loss", d},
                  {"eval_discriminator_accuracy", discriminator_correct / tokens},
                  {"eval_discriminator_precision", ratio(true_positives, predicted_positives)},
                  {"eval_discriminator_recall", ratio(true_positives, positives)},
                  {"eval_discriminator_auc", roc_auc(logits, replaced)},
                  {"eval_replaced_share", positives / masked},
                  {"seconds", state_.seconds}};
    if (std::isnan(last_eval_["eval_discriminator_auc"].get<double>())) last_eval_["eval_discriminator_auc"] = nullptr;
    return EvalResult{.metrics = last_eval_};
  }

  // A masked LM; for ELECTRA the discriminator (ElectraForPreTraining) in dir and the generator
  // (ElectraForMaskedLM, sharing the discriminator's embeddings) in dir/generator, each with the
  // tokenizer: two model directories transformers loads as they are.
  void save_model_dir(const std::string& dir) const override {
    if (electra()) {
      Model discriminator{model_.config, ModelParams(model_.config, kDiscriminator)};
      copy_tensors(model_.params, discriminator.params);
      Model generator{generator_config_, ModelParams(generator_config_, kGeneratorHeads)};
      copy_tensors(*model_.params.generator(), generator.params);
      const std::string generator_dir = (fs::path(dir) / "generator").string();
      save_model(generator, generator_dir);
      write_tokenizer_files(tokenizer_files_, generator_dir);
      save_model(discriminator, dir);
    } else {
      save_model(model_, dir);
    }
    write_tokenizer_files(tokenizer_files_, dir);
  }

  void finish() {
    save_model_dir(o_.output_dir);
    json summary = {{"output", o_.output_dir}, {"global_step", state_.global_step},
                    {"total_steps", plan_.total_steps}, {"seconds", state_.seconds},
                    {"stopped_by_time", end_.out_of_time},
                    {"stopped_at_step", end_.at_stop_step && state_.global_step < plan_.total_steps}};
    for (const auto& [key, value] : last_eval_.items())
      if (key != "seconds") summary[key] = value;
    write_file_atomic((fs::path(o_.output_dir) / "metrics.json").string(), summary.dump(2) + "\n");
    std::printf("%s\n", summary.dump().c_str());
  }

  const PretrainOptions& o_;
  int max_length_ = 0;  // o_.max_length, 0 resolved
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
  LoopPlan plan_;
  LoopEnd end_;
  std::optional<Masker> masker_;         // needs the tokenizer
  std::optional<MaskedLMStep> step_;     // sized by the plan
  std::optional<ElectraStep> electra_step_;  // instead, with --objective electra
  ModelConfig generator_config_;          // electra
  Batch batch_;
  MaskedTokens masked_;
  double masked_in_step_ = 0;            // over every rank
  double token_share_per_masked_share_ = 0;  // this rank's, in the micro-batch filled last
  json last_eval_ = json::object();
};

}  // namespace

void run_pretraining(const PretrainOptions& options, const Communicator& comm) { Pretrainer(options, comm).run(); }

}  // namespace bertft
