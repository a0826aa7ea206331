#include "training/trainer.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>

#include "common/error.h"
#include "common/io.h"
#include "distributed/gradient_reducer.h"
#include "evaluation/evaluate.h"
#include "evaluation/run_report.h"
#include "inference/inference_defaults.h"
#include "model/checkpoint.h"
#include "tokenizer/tokenizer.h"
#include "training/adamw.h"
#include "training/batch.h"
#include "training/classifier_step.h"
#include "encoding/encoded_dataset.h"
#include "training/grad_clip.h"
#include "evaluation/metrics.h"
#include "training/run_files.h"
#include "training/schedule.h"
#include "training/training_loop.h"

namespace fs = std::filesystem;

namespace bertft {
namespace {

using json = nlohmann::json;

bool higher_is_better(const std::string& metric) { return metric != "loss" && metric != "eval_loss"; }

// The examples as loaded, for the record of what a run is made with (training/run_files.h).
uint64_t hash_examples(const Dataset& data) {
  uint64_t h = fingerprint(nullptr, 0);
  for (const std::string& name : data.label_names) h = fingerprint(name.c_str(), name.size() + 1, h);
  for (const Example& ex : data.examples) {
    h = fingerprint(ex.text.c_str(), ex.text.size() + 1, h);
    h = fingerprint(ex.text_pair.c_str(), ex.text_pair.size() + 1, h);
    h = fingerprint(&ex.label, sizeof ex.label, h);
    h = fingerprint(ex.probs.data(), ex.probs.size() * sizeof(float), h);
  }
  return h;
}

uint64_t fingerprint_dataset(const EncodedDataset& data) {
  uint64_t h = fingerprint(data.labels.data(), data.labels.size() * sizeof(int32_t));
  h = fingerprint(data.targets.data(), data.targets.size() * sizeof(float), h);
  for (const TokenizedInput& in : data.inputs) {
    h = fingerprint(in.ids.data(), in.ids.size() * sizeof(int32_t), h);
    h = fingerprint(in.type_ids.data(), in.type_ids.size() * sizeof(int32_t), h);
  }
  return h;
}

// Under MPI every rank runs a Trainer over its shard of each batch (training/data_parallel.h); rank
// 0 alone evaluates, logs and writes the output.
class Trainer final : public TrainingTask {
 public:
  Trainer(const TrainOptions& options, const Communicator& comm)
      : o_(options), comm_(comm), log_(comm.is_root() ? options.log_file : "") {}

  json run() {
    run_on_all_ranks(comm_, [this] {
      validate_options();
      load_data_and_model();
    });
    train();
    return comm_.is_root() ? finish() : json::object();
  }

 private:
  // Each option's own range is checked as the command line is parsed (cli/train_options.cpp); these
  // are the ones that depend on each other, and the output directory.
  void validate_options() {
    if (o_.epochs <= 0 && o_.max_steps <= 0) throw Error("--epochs must be positive (or give --max-steps)");
    if (!o_.valid_data.empty() && o_.valid_split > 0)
      throw Error("give either --valid or --valid-split, not both");
    eval_strategy_ = parse_eval_strategy(o_.eval_strategy);
    schedule_ = parse_lr_schedule(o_.lr_scheduler);
    ClassificationMetrics probe;  // rejects an unknown --metric-for-best-model before any training
    probe.loss = 0;
    probe.get(o_.metric_for_best_model);
    if (comm_.is_root()) prepare_output(o_.output_dir, o_.log_file, o_.resume);
  }

  void load_data_and_model() {
    tokenizer_ = Tokenizer::from_dir(o_.model_dir);
    tokenizer_files_ = read_tokenizer_files(o_.model_dir);
    const std::string base_path = (fs::path(o_.model_dir) / "config.json").string();
    const ModelConfig base = load_config(base_path);
    check_tokenizer_fits(tokenizer_, base, base_path);

    // Text cleaning: as given, else as the starting model was trained (or pretrained).
    strip_html_ = o_.data.strip_html.value_or(inference_defaults(base, base_path).strip_html);
    DatasetOptions data = o_.data;
    data.strip_html = strip_html_;
    data.known_labels = base.id2label;
    data.max_samples = o_.max_train_samples;
    Dataset train = load_dataset(o_.train_data, data);
    if (train.examples.empty()) throw Error(o_.train_data + ": no training examples");
    Dataset& valid = valid_raw_;
    data.known_labels = train.label_names;
    data.max_samples = o_.max_eval_samples;
    if (!o_.valid_data.empty()) {
      valid = load_dataset(o_.valid_data, data);
    } else if (o_.valid_split > 0) {
      std::tie(train, valid) = stratified_split(train, o_.valid_split, o_.seed);
      if (o_.max_eval_samples > 0 && valid.examples.size() > o_.max_eval_samples)
        valid.examples.resize(o_.max_eval_samples);
    }
    if (!o_.test_data.empty()) test_ = load_dataset(o_.test_data, data);
    check_labels(valid, train, o_.valid_data);
    check_labels(test_, train, o_.test_data);

    // Resume from the newest readable checkpoint in the output directory, else start from --model.
    // Rank 0 alone reads the output directory; it hands the checkpoint's state to the other ranks.
    LoadOptions load;
    load.heads = Heads{.pooler = true, .classifier = true, .mlm = false};
    load.seed = o_.seed;
    if (train.label_names != base.id2label) load.id2label = train.label_names;
    AdamWOptions adam;
    adam.beta1 = o_.adam_beta1;
    adam.beta2 = o_.adam_beta2;
    adam.eps = o_.adam_epsilon;
    adam.weight_decay = o_.weight_decay;
    adam.freeze_encoder = o_.freeze_encoder;
    std::vector<std::string> notices;
    const auto read_checkpoint = [&](const std::string& dir) {
      notices.clear();
      model_ = load_model(dir, load, &notices);
      optimizer_.emplace(model_.params, adam);
      load_checkpoint(dir, *optimizer_, state_);
    };
    if (comm_.is_root())
      resume_from_ = read_resume_checkpoint(o_.output_dir, o_.resume, o_.resume_from_checkpoint, o_.model_dir,
                                            read_checkpoint);
    if (resume_from_.empty()) {
      model_ = load_model(o_.model_dir, load, &notices);
      if (std::string n = dequantized_notice(model_, o_.model_dir, precision_name(o_.precision)); !n.empty())
        notices.push_back(n);
      optimizer_.emplace(model_.params, adam);
      if (load.id2label && comm_.is_root())
        std::fprintf(stderr, "bertft: notice: %s; a new classifier is created for the data's labels\n",
                     label_mismatch(train.label_names, base.id2label).c_str());
    }
    if (comm_.is_root()) {
      for (const std::string& n : notices) std::fprintf(stderr, "bertft: notice: %s\n", n.c_str());
      const json made_with = run_record(train);
      if (!resume_from_.empty()) check_made_with(resume_from_, state_.made_with, made_with, o_.force);
      state_.made_with = made_with;
    }
    ModelConfig& c = model_.config;
    max_length_ = resolve_max_length(c, o_.max_length);
    // Saved with every model and checkpoint: predict, eval and serve then prepare inputs as training did.
    record_inference_defaults(c, {.max_length = o_.max_length, .truncation = o_.truncation, .strip_html = strip_html_});
    if (o_.dropout) {
      c.hidden_dropout_prob = c.attention_probs_dropout_prob = *o_.dropout;
      c.classifier_dropout = *o_.dropout;
    }
    if (o_.pooling) c.classifier_pooling = *o_.pooling;

    train_ = windows_as_examples(encode_dataset(tokenizer_, train, max_length_, o_.truncation));
    valid_ = encode_dataset(tokenizer_, valid, max_length_, o_.truncation);
    test_encoded_ = encode_dataset(tokenizer_, test_, max_length_, o_.truncation);
    if (!comm_.is_root()) return;
    const auto soft = std::count_if(train.examples.begin(), train.examples.end(),
                                    [](const Example& ex) { return !ex.probs.empty(); });
    std::fprintf(stderr, "bertft: notice: train %zu %s (%lld texts longer than %d tokens%s), valid %zu, test %zu; labels [%s]\n",
                 train_.inputs.size(), train.examples.size() == train_.inputs.size() ? "examples" : "windows",
                 static_cast<long long>(train_.truncated), max_length_,
                 soft ? (", " + std::to_string(soft) + " with soft labels").c_str() : "", valid.examples.size(),
                 test_.examples.size(), join(c.id2label).c_str());
  }

  // What this run is made with (see check_made_with): what it trains on and every option that
  // changes the steps it takes (--epochs without --max-steps, --warmup-ratio without --warmup-steps).
  // Not the evaluation and checkpoint cadence, threads, or logging.
  json run_record(const Dataset& train) const {
    char dropout[32] = "the config's";
    if (o_.dropout) std::snprintf(dropout, sizeof dropout, "%g", *o_.dropout);
    const auto examples = static_cast<int64_t>(train.examples.size());
    json record = {{"--model", input_record(o_.model_dir, hash_files(model_files(o_.model_dir)))},
                   {"--train", input_record(o_.train_data, hash_examples(train), examples)},
                   {"--valid-split", o_.valid_split}, {"--max-train-samples", o_.max_train_samples},
                   {"--max-steps", o_.max_steps}, {"--batch-size", o_.batch_size},
                   {"--grad-accum-steps", o_.grad_accum_steps}, {"--learning-rate", o_.learning_rate},
                   {"--lr-scheduler", lr_schedule_name(schedule_)}, {"--warmup-steps", o_.warmup_steps},
                   {"--weight-decay", o_.weight_decay}, {"--max-grad-norm", o_.max_grad_norm}, {"--seed", o_.seed},
                   {"--adam-beta1", o_.adam_beta1}, {"--adam-beta2", o_.adam_beta2}, {"--adam-epsilon", o_.adam_epsilon},
                   {"--label-smoothing-factor", o_.label_smoothing_factor},
                   {"--max-length", o_.max_length}, {"--truncation", describe(o_.truncation)},
                   {"--dropout", dropout}, {"--no-shuffle", o_.no_shuffle}, {"--freeze-encoder", o_.freeze_encoder},
                   {"--pooling", o_.pooling ? pooling_name(*o_.pooling) : "the model's"},
                   {"--precision", precision_name(o_.precision)},
                   {"--metric-for-best-model", o_.metric_for_best_model}};
    if (o_.max_steps == 0) record["--epochs"] = o_.epochs;
    if (o_.warmup_steps == 0) record["--warmup-ratio"] = o_.warmup_ratio;
    return record;
  }

  static void check_labels(const Dataset& split, const Dataset& train, const std::string& name) {
    if (!split.examples.empty() && split.label_names != train.label_names)
      throw Error(name + ": labels [" + join(split.label_names) + "] differ from the training data's [" +
                  join(train.label_names) + "]");
  }

  static std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
    return out;
  }

  void train() {
    ModelParams grads(model_.config, model_.params.heads());
    TrainingLoop loop(loop_options(), comm_, *this, {model_.params, grads, *optimizer_, state_, log_});
    plan_ = loop.plan();
    require_same_plan();
    const int shard = plan_.max_shard_examples;
    step_.emplace(model_.config, static_cast<size_t>(shard) * max_length_, shard, o_.precision);
    loop.run(resume_from_);
  }

  LoopOptions loop_options() const {
    LoopOptions loop = shared_loop_options(o_);
    loop.name = "train";
    loop.examples = static_cast<int64_t>(train_.inputs.size());
    loop.shuffle = !o_.no_shuffle;
    loop.step_options = step_options_from_config(model_.config);
    loop.step_options.train_encoder = !o_.freeze_encoder;
    loop.sparse_word_rows = true;
    loop.eval_strategy = eval_strategy_;
    loop.has_validation = !valid_.inputs.empty();
    loop.best = BestModel{o_.metric_for_best_model, higher_is_better(o_.metric_for_best_model),
                          o_.early_stopping_patience, o_.load_best_model_at_end};
    loop.on_log = o_.on_log;
    loop.between_steps = o_.between_steps;
    return loop;
  }

  void begin_step(ModelParams& grads) override { step_->zero_grads(grads); }

  double fill_micro_batch(std::span<const int64_t> examples, int64_t micro_batch_size, int64_t,
                          GradientReducer&) override {
    batch_.clear();
    const int64_t classes = model_.config.num_labels();
    for (const int64_t k : examples) {
      const TokenizedInput& in = train_.inputs[k];
      if (o_.pad_to_max_length)
        batch_.add_padded(in.ids, in.type_ids, train_.labels[k], max_length_, model_.config.pad_token_id);
      else
        batch_.add(in.ids, in.type_ids, train_.labels[k]);
      if (!train_.targets.empty() || o_.label_smoothing_factor > 0) append_targets(k, classes);
    }
    // The mean over the micro-batch is the sum of the shards' means weighted by their shares.
    return static_cast<double>(examples.size()) / static_cast<double>(micro_batch_size);
  }

  // Example k's class probabilities to learn: its soft label, or its label as one-hot, smoothed as HF's
  // LabelSmoother smooths (the mean of -log p over the classes weighted by the factor).
  void append_targets(int64_t k, int64_t classes) {
    const size_t begin = batch_.targets.size();
    if (train_.targets.empty()) {
      batch_.targets.resize(begin + classes, 0.0f);
      batch_.targets[begin + train_.labels[k]] = 1.0f;
    } else {
      const auto row = train_.targets.begin() + k * classes;
      batch_.targets.insert(batch_.targets.end(), row, row + classes);
    }
    const double f = o_.label_smoothing_factor;
    for (size_t c = begin; c < batch_.targets.size(); c++)
      batch_.targets[c] = static_cast<float>((1 - f) * batch_.targets[c] + f / static_cast<double>(classes));
  }

  MicroBatchResult forward_backward(ModelParams& grads, const StepOptions& options) override {
    return {.loss = step_->forward_backward(model_.params, grads, batch_, options),
            .tokens = static_cast<double>(batch_.ids.size())};
  }

  void sum_sparse_gradients(GradientReducer& reducer, ModelParams& grads) override {
    step_->add_touched_word_rows(
        reducer.sum_rows(grads.word_emb, model_.config.embedding_width(), step_->touched_word_rows()));
  }

  double gradient_norm(const ModelParams& grads) const override {
    return global_grad_norm(grads, &step_->touched_word_rows());
  }

  // Ranks that disagree on the data or the options would leave the lockstep of collectives (one
  // waiting forever for another) or train apart: stop them all before the first step.
  void require_same_plan() const {
    require_same(comm_, fingerprint_dataset(train_),
                 "the training data: every rank must read the same --train (and --valid-split) with the same options");
    require_same(comm_, fingerprint_dataset(valid_), "the validation data: every rank must read the same --valid");
    const std::string plan = json{o_.batch_size, o_.grad_accum_steps, plan_.total_steps, plan_.batches_per_epoch,
                                  plan_.warmup_steps, o_.eval_strategy, o_.eval_steps, o_.save_steps, o_.seed,
                                  o_.no_shuffle, o_.pad_to_max_length, o_.freeze_encoder, max_length_, o_.bucket_mb,
                                  model_.params.size(), pooling_name(model_.config.classifier_pooling)}
                                 .dump();
    require_same(comm_, fingerprint(plan.data(), plan.size()), "the training options or the model: start every "
                 "rank with the same command line");
  }

  ClassificationMetrics score(const EncodedDataset& data, Evaluation* evaluation = nullptr) const {
    Evaluation ev = bertft::evaluate(model_, data, o_.eval_batch_size, max_length_, o_.precision);
    ClassificationMetrics metrics =
        compute_metrics(data.labels, ev.predicted, model_.config.num_labels(), model_.config.id2label, ev.losses);
    if (evaluation) *evaluation = std::move(ev);
    return metrics;
  }

  // On rank 0 alone.
  std::optional<EvalResult> evaluate() override {
    if (!comm_.is_root()) return std::nullopt;
    const ClassificationMetrics metrics = score(valid_);
    EvalResult evaluation{.metrics = json::object(), .score = metrics.get(o_.metric_for_best_model)};
    const json scores = metrics.to_json();
    for (const auto& [key, value] : scores.items()) evaluation.metrics["eval_" + key] = value;
    return evaluation;
  }

  void save_model_dir(const std::string& dir) const override {
    save_model(model_, dir);
    write_tokenizer_files(tokenizer_files_, dir);
  }

  json finish() {
    // Without an evaluation (no validation set, or --eval-strategy no) there is no "best": the final
    // model is the output, as it is with --load-best-model-at-end false.
    if (state_.best_step < 0 || !o_.load_best_model_at_end) save_model_dir(o_.output_dir);
    std::vector<std::string> notices;
    LoadOptions load;
    model_ = load_model(o_.output_dir, load, &notices);
    if (std::string n = pooling_notice(model_, o_.output_dir); !n.empty())
      std::fprintf(stderr, "bertft: notice: %s\n", n.c_str());
    RunReport report;
    json metrics = {{"best_step", state_.best_step}, {"global_step", state_.global_step},
                    {"train_seconds", state_.seconds}};
    auto score_split = [&](const char* key, const char* name, const EncodedDataset& encoded, const Dataset& raw) {
      if (encoded.inputs.empty()) return;
      ReportSplit split;
      split.name = name;
      split.data = &raw;
      split.metrics = score(encoded, &split.evaluation);
      metrics[key] = split.metrics.to_json();
      report.splits.push_back(std::move(split));
    };
    score_split("valid", "validation", valid_, valid_raw_);
    score_split("test", "test", test_encoded_, test_);
    json history = json::array();
    for (const json& entry : state_.log_history)
      if (entry.contains("eval_loss")) history.push_back(entry);
    metrics["history"] = history;
    write_file_atomic((fs::path(o_.output_dir) / "metrics.json").string(), metrics.dump(2) + "\n");
    write_report(report);
    json summary = {{"output", o_.output_dir}, {"global_step", state_.global_step}};
    if (metrics.contains("valid")) summary["valid_accuracy"] = metrics["valid"]["accuracy"];
    if (metrics.contains("test")) summary["test_accuracy"] = metrics["test"]["accuracy"];
    return summary;
  }

  void write_report(RunReport& report) const {
    const ModelConfig& c = model_.config;
    report.title = "bertft train: " + fs::path(o_.output_dir).filename().string();
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.1f s", state_.seconds);
    // The run's result first (scores, best checkpoint, final loss, the model), then how it was run.
    for (const ReportSplit& split : report.splits) {
      char scores[64];
      std::snprintf(scores, sizeof scores, "%.4f / %.4f", split.metrics.accuracy, split.metrics.f1());
      report.facts.push_back({split.name + " accuracy / F1", scores});
    }
    char best[96];
    std::snprintf(best, sizeof best, "step %lld, %s %.4f", static_cast<long long>(state_.best_step),
                  o_.metric_for_best_model.c_str(), state_.best_metric);
    report.facts.push_back({"best model", state_.best_step >= 0 ? best : "none (no evaluation: the final model)"});
    const std::vector<ChartPoint> losses = log_series(state_.log_history, "loss");
    if (!losses.empty()) {
      char loss[64];
      std::snprintf(loss, sizeof loss, "%.4f (step %lld)", losses.back().y, static_cast<long long>(losses.back().x));
      report.facts.push_back({"final training loss", loss});
    }
    report.facts.insert(report.facts.end(), {
        {"model", o_.model_dir + " (" + std::to_string(c.num_hidden_layers) + " layers, hidden " +
                      std::to_string(c.hidden_size) + ", " + std::to_string(c.num_attention_heads) + " heads)"},
        {"classes", join(c.id2label)},
        {"examples", "train " + std::to_string(train_.inputs.size()) + ", validation " +
                         std::to_string(valid_.labels.size()) + ", test " + std::to_string(test_encoded_.labels.size())},
        {"optimizer steps", std::to_string(state_.global_step) + " (" + std::to_string(plan_.steps_per_epoch) + " per epoch)"},
        {"training time", seconds},
        {"output", o_.output_dir},
        {"bertft", BERTFT_VERSION}});
    report.configuration = options_json();
    report.log_history = state_.log_history;
    report.metric_for_best_model = o_.metric_for_best_model;
    report.best_step = state_.best_step;
    write_file_atomic((fs::path(o_.output_dir) / "report.html").string(), render_run_report(report));
  }

  // The options of this run as the CLI spells them.
  nlohmann::ordered_json options_json() const {
    const ModelConfig& c = model_.config;
    char dropouts[64];
    std::snprintf(dropouts, sizeof dropouts, "%g / %g / %g", c.hidden_dropout_prob, c.attention_probs_dropout_prob,
                  c.classifier_dropout.value_or(c.hidden_dropout_prob));
    nlohmann::ordered_json j = {
        {"model", o_.model_dir}, {"train", o_.train_data}, {"valid", o_.valid_data}, {"valid-split", o_.valid_split},
        {"test", o_.test_data}, {"output", o_.output_dir}, {"precision", precision_name(o_.precision)},
        {"epochs", o_.epochs}, {"batch-size", o_.batch_size}, {"learning-rate", o_.learning_rate},
        {"weight-decay", o_.weight_decay}, {"adam-beta1", o_.adam_beta1}, {"adam-beta2", o_.adam_beta2},
        {"adam-epsilon", o_.adam_epsilon}, {"label-smoothing-factor", o_.label_smoothing_factor}, {"warmup-steps", o_.warmup_steps}, {"warmup-ratio", o_.warmup_ratio},
        {"warmup steps used", plan_.warmup_steps}, {"lr-scheduler", o_.lr_scheduler}, {"max-grad-norm", o_.max_grad_norm},
        {"grad-accum-steps", o_.grad_accum_steps}, {"max-length", max_length_},
        {"truncation", describe(o_.truncation)}, {"max-steps", o_.max_steps},
        {"max-train-samples", o_.max_train_samples}, {"max-eval-samples", o_.max_eval_samples}, {"seed", o_.seed},
        {"dropout", o_.dropout ? nlohmann::ordered_json(*o_.dropout) : nlohmann::ordered_json("the config's")},
        {"hidden / attention / classifier dropout used", dropouts},
        {"shuffle", !o_.no_shuffle}, {"eval-strategy", o_.eval_strategy}, {"eval-steps", o_.eval_steps},
        {"early-stopping-patience", o_.early_stopping_patience}, {"metric-for-best-model", o_.metric_for_best_model},
        {"load-best-model-at-end", o_.load_best_model_at_end}, {"freeze-encoder", o_.freeze_encoder},
        {"pooling", pooling_name(c.classifier_pooling)}, {"strip-html", strip_html_}, {"label-from", o_.data.label_from}};
    return j;
  }
  const TrainOptions& o_;
  const Communicator& comm_;
  RunLog log_;
  LrSchedule schedule_ = LrSchedule::Linear;
  EvalStrategy eval_strategy_ = EvalStrategy::Epoch;
  Tokenizer tokenizer_;
  TokenizerFiles tokenizer_files_;  // written with every saved model
  Model model_;
  std::optional<AdamW> optimizer_;  // made with the model, or read from the checkpoint resumed
  Dataset valid_raw_, test_;
  EncodedDataset train_, valid_, test_encoded_;
  int max_length_ = 0;
  bool strip_html_ = false;
  std::string resume_from_;
  TrainerState state_;
  LoopPlan plan_;
  std::optional<ClassifierStep> step_;  // sized by the plan
  Batch batch_;
};

}  // namespace

nlohmann::json run_training(const TrainOptions& options, const Communicator& comm) {
  return Trainer(options, comm).run();
}

}  // namespace bertft
