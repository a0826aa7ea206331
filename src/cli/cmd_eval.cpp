// bertft eval: score a classifier on labeled data; optionally list its mistakes, most confident first,
// and group them by explainable features (evaluation/error_analysis.h).
#include <omp.h>

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

nlohmann::ordered_json run_eval(const EvalOptions& o) {
  if (!o.errors_file.empty()) check_output_file("--errors", o.errors_file);
  const Precision precision = precision_from_name(o.precision);
  const Tokenizer tokenizer = Tokenizer::from_dir(o.model_dir);
  std::vector<std::string> notices;
  const Model model = load_model(o.model_dir, LoadOptions{}, &notices);
  if (std::string n = dequantized_notice(model, o.model_dir, precision_name(precision)); !n.empty())
    notices.push_back(n);
  check_tokenizer_fits(tokenizer, model.config, o.model_dir + "/config.json");
  for (const std::string& n : notices) std::fprintf(stderr, "bertft: notice: %s\n", n.c_str());
  const InferenceDefaults inputs = resolve_inference_options(
      model.config, o.model_dir + "/config.json", o.max_length_option, o.max_length, o.truncation, o.dataset.strip_html);
  const int max_length = inputs.max_length;
  const Truncation truncation = inputs.truncation;
  check_truncation(truncation, max_length);
  DatasetOptions options = o.dataset.to_options();
  options.strip_html = inputs.strip_html;
  options.known_labels = model.config.id2label;
  const Dataset data = load_dataset(o.data, options);
  if (data.label_names != model.config.id2label)
    throw Error(o.data + ": " + label_mismatch(data.label_names, model.config.id2label));
  const EncodedDataset encoded = encode_dataset(tokenizer, data, max_length, truncation);
  const Evaluation ev = evaluate(model, encoded, o.batch_size, max_length, precision);
  const ClassificationMetrics metrics = compute_metrics(encoded.labels, ev.predicted, model.config.num_labels(),
                                                       model.config.id2label, ev.losses);
  nlohmann::ordered_json out = metrics.to_json();  // the metrics (sorted keys), then what follows
  out["examples"] = data.examples.size();
  out["truncated"] = encoded.truncated;
  if (!encoded.first_input.empty()) out["windows"] = encoded.inputs.size();
  if (!o.errors_file.empty()) {
    out["error_analysis"] = analyze_errors(data, ev.predicted, encoded.lengths).to_json();
    write_file_atomic(o.errors_file, format_errors(data, ev, encoded.labels, model.config.id2label, encoded.lengths));
  }
  return out;
}

void add_eval_options(CLI::App* sub, EvalOptions& options) {
  EvalOptions* o = &options;
  add_model_option(sub, o->model_dir, "Classifier to evaluate")->required();
  sub->add_option("--data", o->data, kDatasetSpecHelp)->required();
  sub->add_option("--errors", o->errors_file,
                  "Write misclassified examples here (JSONL, most confident first) and add \"error_analysis\" "
                  "to the metrics: examples, errors and accuracy grouped by negation, contrastive words, token "
                  "length and star rating");
  add_number_option(sub, "--batch-size", o->batch_size, kBatchSizeRange, "Examples per forward pass");
  o->max_length_option =
      add_number_option(sub, "--max-length", o->max_length, "[0, inf)",
                        max_length_help("example") + ". Default: what the model directory records, else 0")
          ->default_str("model directory's");
  add_dataset_options(sub, o->dataset);
  add_threads_option(sub, o->threads);
  sub->add_option("--precision", o->precision, kPrecisionHelp);
  add_truncation_options(sub, o->truncation);
}

namespace {

void setup_eval(CLI::App& app) {
  auto o = std::make_shared<EvalOptions>();
  CLI::App* sub = app.add_subcommand("eval", "Evaluate a classifier on labeled data: metrics as one JSON line");
  add_eval_options(sub, *o);
  sub->callback([o] {
    use_threads(o->threads);
    std::printf("%s\n", run_eval(*o).dump().c_str());
  });
}

const bool registered = register_command("eval", setup_eval);

}  // namespace
}  // namespace bertft
