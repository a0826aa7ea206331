// bertft analyze: what a labeled dataset looks like to a model before training on it: examples, label
// balance, the token-length distribution (evaluation/length_analysis.h), the share truncated at
// 128 / 256 / 512 and a max length covering 95%, as one JSON line; --plot draws the histogram as SVG.
#include <omp.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/model_option.h"
#include "cli/dataset_options.h"
#include "common/error.h"
#include "common/io.h"
#include "common/svg_chart.h"
#include "data/dataset.h"
#include "evaluation/length_analysis.h"
#include "inference/inference_defaults.h"
#include "model/config.h"
#include "tokenizer/tokenizer.h"

namespace bertft {
namespace {

struct AnalyzeOptions {
  std::string model_dir, data, plot;
  DatasetCliOptions dataset;
  int threads = default_threads();
};

void run_analyze(const AnalyzeOptions& o) {
  if (!o.plot.empty()) check_output_file("--plot", o.plot);
  const Tokenizer tokenizer = Tokenizer::from_dir(o.model_dir);
  DatasetOptions options = o.dataset.to_options();
  // The model's max_position_embeddings caps the recommendation; a tokenizer-only directory falls
  // back to its model_max_length (0 when unknown: no cap).
  int32_t max_positions = static_cast<int32_t>(tokenizer.model_max_length());
  const std::string config_path = (std::filesystem::path(o.model_dir) / "config.json").string();
  if (file_exists(config_path)) {
    const ModelConfig config = load_config(config_path);
    max_positions = config.max_sequence_length();
    options.known_labels = config.id2label;
    // The lengths the model sees: its texts cleaned as it was trained to take them.
    options.strip_html = o.dataset.strip_html.value_or(inference_defaults(config, config_path).strip_html);
  }
  const Dataset data = load_dataset(o.data, options);
  if (data.examples.empty()) throw Error(o.data + ": no examples");

  std::vector<int64_t> per_label(data.label_names.size());
  int64_t pairs = 0;
  for (const Example& ex : data.examples) {
    per_label[ex.label]++;
    pairs += !ex.text_pair.empty();
  }
  const double n = static_cast<double>(data.examples.size());
  nlohmann::ordered_json labels = nlohmann::ordered_json::object();
  for (size_t c = 0; c < per_label.size(); c++)
    labels[data.label_names[c]] = {{"examples", per_label[c]}, {"share", per_label[c] / n}};

  const LengthAnalysis lengths = analyze_lengths(token_lengths(tokenizer, data), max_positions);
  nlohmann::ordered_json out = {{"examples", data.examples.size()}, {"text_pairs", pairs}, {"labels", labels}};
  out.update(lengths.to_json());
  if (!o.plot.empty()) write_file_atomic(o.plot, render_svg(length_chart(lengths, "Token lengths: " + o.data)));
  std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

void setup_analyze(CLI::App& app) {
  auto o = std::make_shared<AnalyzeOptions>();
  CLI::App* sub = app.add_subcommand(
      "analyze",
      "Examples, label balance, token-length distribution (untruncated, special tokens included), share "
      "truncated at 128/256/512 and a recommended max length (p95 rounded up to a multiple of 8, capped at "
      "max_position_embeddings): one JSON line");
  add_model_option(sub, o->model_dir, "Model whose tokenizer and max_position_embeddings are used")
      ->required();
  sub->add_option("--data", o->data, kDatasetSpecHelp)->required();
  sub->add_option("--plot", o->plot,
                  "Also write the length histogram as a self-contained SVG chart, with the 128/256/512 cuts and "
                  "the recommended length marked");
  add_dataset_options(sub, o->dataset);
  add_threads_option(sub, o->threads);
  sub->callback([o] {
    use_threads(o->threads);
    run_analyze(*o);
  });
}

const bool registered = register_command("analyze", setup_analyze);

}  // namespace
}  // namespace bertft
