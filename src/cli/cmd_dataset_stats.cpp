// bertft dataset-stats (hidden, for tests and debugging): loads a dataset spec the way train/eval do
// and prints counts as one JSON object.
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/command.h"
#include "cli/dataset_options.h"
#include "data/dataset.h"

namespace {

struct Options {
  std::string data;
  std::string labels;  // known labels, comma-separated
  bertft::DatasetCliOptions dataset;
  double valid_fraction = 0;
  uint64_t seed = 0;
  size_t show = 0;
};

nlohmann::ordered_json stats(const bertft::Dataset& d) {
  std::vector<int64_t> per_label(d.label_names.size());
  std::map<int, int64_t> ratings;
  std::vector<std::map<int, int64_t>> label_ratings(d.label_names.size());
  int64_t pairs = 0, chars = 0;
  for (const bertft::Example& ex : d.examples) {
    if (ex.label >= 0 && ex.label < static_cast<int>(per_label.size())) per_label[ex.label]++;
    if (ex.rating >= 0) {
      ratings[ex.rating]++;
      if (ex.label >= 0 && ex.label < static_cast<int>(per_label.size())) label_ratings[ex.label][ex.rating]++;
    }
    pairs += !ex.text_pair.empty();
    chars += static_cast<int64_t>(ex.text.size() + ex.text_pair.size());
  }
  nlohmann::ordered_json per = nlohmann::ordered_json::object();
  for (size_t i = 0; i < per_label.size(); i++) per[d.label_names[i]] = per_label[i];
  nlohmann::ordered_json rating_counts = nlohmann::ordered_json::object();
  for (const auto& [r, count] : ratings) rating_counts[std::to_string(r)] = count;
  nlohmann::ordered_json ratings_per_label = nlohmann::ordered_json::object();
  for (size_t i = 0; i < label_ratings.size(); i++) {
    if (label_ratings[i].empty()) continue;
    nlohmann::ordered_json counts = nlohmann::ordered_json::object();
    for (const auto& [r, count] : label_ratings[i]) counts[std::to_string(r)] = count;
    ratings_per_label[d.label_names[i]] = counts;
  }
  return {{"examples", d.examples.size()}, {"label_names", d.label_names}, {"per_label", per},
          {"ratings", rating_counts}, {"ratings_per_label", ratings_per_label}, {"with_text_pair", pairs}, {"text_bytes", chars}};
}

void run(const Options& o) {
  bertft::DatasetOptions options = o.dataset.to_options();
  std::stringstream labels(o.labels);
  for (std::string name; std::getline(labels, name, ',');) options.known_labels.push_back(name);
  const auto start = std::chrono::steady_clock::now();
  const bertft::Dataset d = bertft::load_dataset(o.data, options);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  nlohmann::ordered_json out = stats(d);
  out["load_seconds"] = seconds;
  if (!d.examples.empty()) {
    out["first_origin"] = d.examples.front().origin;
    out["last_origin"] = d.examples.back().origin;
  }
  nlohmann::ordered_json shown = nlohmann::ordered_json::array();
  for (size_t i = 0; i < o.show && i < d.examples.size(); i++) {
    const bertft::Example& ex = d.examples[i];
    shown.push_back({{"text", ex.text}, {"text_pair", ex.text_pair}, {"label", ex.label},
                     {"rating", ex.rating}, {"origin", ex.origin}});
  }
  if (o.show) out["examples_shown"] = shown;
  if (o.valid_fraction > 0) {
    const auto [train, valid] = bertft::stratified_split(d, o.valid_fraction, o.seed);
    out["split"] = {{"train", stats(train)}, {"valid", stats(valid)}};
  }
  std::printf("%s\n", out.dump().c_str());
}

void setup_dataset_stats(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("dataset-stats", "Load a dataset and print counts as JSON (debugging)");
  sub->group("");  // hidden from --help
  auto o = std::make_shared<Options>();
  sub->add_option("--data", o->data, bertft::kDatasetSpecHelp)->required();
  sub->add_option("--labels", o->labels, "Known label names in id order, comma-separated (a model's id2label)");
  bertft::add_number_option(sub, "--valid-fraction", o->valid_fraction, "[0, 1)",
                            "Also report a stratified split with this fraction");
  bertft::add_number_option(sub, "--seed", o->seed, "[0, inf)", "Seed of the split");
  bertft::add_number_option(sub, "--show", o->show, "[0, inf)", "Print the first N examples");
  bertft::add_dataset_options(sub, o->dataset);
  sub->callback([o] { run(*o); });
}

const bool registered = bertft::register_command("dataset-stats", setup_dataset_stats);

}  // namespace
