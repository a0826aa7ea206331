// bertft eval: score a classifier on labeled data; optionally list its mistakes, most confident first,
// and group them by explainable features (evaluation/error_analysis.h).
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/eval_options.h"
#include "cli/model_option.h"
#include "cli/truncation_options.h"
#include "common/precision.h"
#include "cli/dataset_options.h"
#include "common/error.h"
#include "common/io.h"
#include "data/dataset.h"
#include "evaluation/error_analysis.h"
#include "evaluation/evaluate.h"
#include "inference/ensemble.h"
#include "model/checkpoint.h"
#include "tokenizer/tokenizer.h"
#include "encoding/encoded_dataset.h"
#include "evaluation/metrics.h"

namespace bertft {
namespace {

// JSON Lines of the misclassified examples: {"text", "true", "predicted", "confidence", "origin",
// "rating"?, "tokens", "negation", "contrast"} (the features of evaluation/error_analysis.h; tokens
// before truncation), most confident mistakes first.
std::string format_errors(const Dataset& data, const Evaluation& ev, std::span<const int32_t> labels,
                          const std::vector<std::string>& names, const std::vector<int32_t>& lengths) {
  const int C = static_cast<int>(names.size());
  std::string out;
  for (size_t i : confident_mistakes(ev, labels, C)) {
    const Example& ex = data.examples[i];
    nlohmann::ordered_json line = {{"text", ex.text}, {"true", names[ex.label]},
                                   {"predicted", names[ev.predicted[i]]}, {"confidence", confidence(ev, i, C)},
                                   {"origin", ex.origin}};
    if (ex.rating >= 0) line["rating"] = ex.rating;
    const TextFeatures a = text_features(ex.text), b = text_features(ex.text_pair);
    line["tokens"] = lengths[i];
    line["negation"] = a.negation || b.negation;
    line["contrast"] = a.contrast || b.contrast;
    out += line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  return out;
}

}  // namespace

LabelledRun load_labelled_run(const std::string& model_dir, const std::string& data_path,
                              const DatasetCliOptions& dataset, const CLI::Option* max_length_option, int max_length,
                              const TruncationCliOptions& truncation, Precision precision) {
  const Tokenizer tokenizer = Tokenizer::from_dir(model_dir);
  const std::string config_path = model_dir + "/config.json";
  LabelledRun run;
  std::vector<std::string> notices;
  run.model = load_model(model_dir, LoadOptions{}, &notices);
  if (std::string n = dequantized_notice(run.model, model_dir, precision_name(precision)); !n.empty())
    notices.push_back(n);
  check_tokenizer_fits(tokenizer, run.model.config, config_path);
  for (const std::string& n : notices) std::fprintf(stderr, "bertft: notice: %s\n", n.c_str());
  run.inputs = resolve_inference_options(run.model.config, config_path, max_length_option, max_length, truncation,
                                         dataset.strip_html);
  check_truncation(run.inputs.truncation, run.inputs.max_length);
  DatasetOptions options = dataset.to_options();
  options.strip_html = run.inputs.strip_html;
  options.known_labels = run.model.config.id2label;
  run.data = load_dataset(data_path, options);
  if (run.data.label_names != run.model.config.id2label)
    throw Error(data_path + ": " + label_mismatch(run.data.label_names, run.model.config.id2label));
  run.encoded = encode_dataset(tokenizer, run.data, run.inputs.max_length, run.inputs.truncation);
  return run;
}

nlohmann::ordered_json run_eval(const EvalOptions& o) {
  if (!o.errors_file.empty()) check_output_file("--errors", o.errors_file);
  const Precision precision = precision_from_name(o.precision);
  const std::vector<double> weights = ensemble_weights(o.model_weights, o.model_dirs.size());
  check_same_labels(o.model_dirs);
  const auto load_run = [&](const std::string& model_dir) {
    return load_labelled_run(model_dir, o.data, o.dataset, o.max_length_option, o.max_length, o.truncation, precision);
  };
  // The first model's reading of the data (its texts after its --strip-html, its token counts) is the one
  // --errors reports, for an ensemble too.
  const LabelledRun run = load_run(o.model_dirs.front());
  const Model& model = run.model;
  const Dataset& data = run.data;
  const EncodedDataset& encoded = run.encoded;
  Evaluation ev = evaluate(model, encoded, o.batch_size, run.inputs.max_length, precision);
  int64_t truncated = encoded.truncated;
  nlohmann::ordered_json models = nlohmann::ordered_json::array();  // an ensemble's members
  if (o.model_dirs.size() > 1) {
    // Each model reads the data its own way: an example counts as truncated when any model cut it.
    std::vector<bool> cut(encoded.lengths.size());
    std::vector<Evaluation> evaluations;
    const auto add_member = [&](size_t m, const LabelledRun& member, Evaluation member_evaluation) {
      evaluations.push_back(std::move(member_evaluation));
      for (size_t i = 0; i < cut.size(); i++)
        cut[i] = cut[i] || member.encoded.lengths[i] > member.inputs.max_length;
      nlohmann::ordered_json part = {{"model", o.model_dirs[m]}, {"weight", weights[m]},
                                     {"truncated", member.encoded.truncated}};
      if (!member.encoded.first_input.empty()) part["windows"] = member.encoded.inputs.size();
      models.push_back(std::move(part));
    };
    add_member(0, run, std::move(ev));
    for (size_t m = 1; m < o.model_dirs.size(); m++) {
      const LabelledRun member = load_run(o.model_dirs[m]);  // one model beside the first at a time
      add_member(m, member, evaluate(member.model, member.encoded, o.batch_size, member.inputs.max_length, precision));
    }
    ev = average_evaluations(evaluations, weights, encoded.labels, model.config.num_labels());
    truncated = std::count(cut.begin(), cut.end(), true);
  }
  const ClassificationMetrics metrics = compute_metrics(encoded.labels, ev.predicted, model.config.num_labels(),
                                                       model.config.id2label, ev.losses);
  nlohmann::ordered_json out = metrics.to_json();  // the metrics (sorted keys), then what follows
  out["examples"] = data.examples.size();
  out["truncated"] = truncated;
  if (models.empty() && !encoded.first_input.empty()) out["windows"] = encoded.inputs.size();
  if (!models.empty()) out["models"] = std::move(models);
  if (!o.errors_file.empty()) {
    out["error_analysis"] = analyze_errors(data, ev.predicted, encoded.lengths).to_json();
    write_file_atomic(o.errors_file, format_errors(data, ev, encoded.labels, model.config.id2label, encoded.lengths));
  }
  return out;
}

void add_eval_options(CLI::App* sub, EvalOptions& options) {
  EvalOptions* o = &options;
  add_ensemble_model_option(sub, o->model_dirs, "Classifier to evaluate")->required();
  add_model_weights_option(sub, o->model_weights);
  sub->add_option("--data", o->data, kDatasetSpecHelp)->required();
  sub->add_option("--errors", o->errors_file,
                  "Write misclassified examples here (JSONL, most confident first) and add \"error_analysis\" "
                  "to the metrics: examples, errors and accuracy grouped by negation, contrastive words, token "
                  "length and star rating (an ensemble: the texts and token lengths as the first --model reads them)");
  add_number_option(sub, "--batch-size", o->batch_size, kBatchSizeRange, "Examples per forward pass");
  o->max_length_option = add_inference_max_length_option(sub, o->max_length, "example");
  add_dataset_options(sub, o->dataset);
  add_threads_option(sub, o->threads);
  sub->add_option("--precision", o->precision, kPrecisionHelp);
  add_truncation_options(sub, o->truncation);
}

namespace {

void setup_eval(CLI::App& app) {
  auto o = std::make_shared<EvalOptions>();
  CLI::App* sub = app.add_subcommand(
      "eval",
      "Evaluate a classifier on labeled data: metrics as one JSON line. Several --model: the metrics of their "
      "ensemble (each example's probabilities averaged; loss: their cross-entropy), with \"models\": each one's "
      "weight and truncated examples");
  add_eval_options(sub, *o);
  sub->callback([o] {
    use_threads(o->threads);
    std::printf("%s\n", run_eval(*o).dump().c_str());
  });
}

const bool registered = register_command("eval", setup_eval);

}  // namespace
}  // namespace bertft
