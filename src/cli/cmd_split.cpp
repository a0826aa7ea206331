// bertft split: a stratified train / test split of a labeled dataset (what HF's
// train_test_split(stratify_by_column=...) does), written as JSON Lines: for corpora that come as one
// file, such as the AG News test split.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/dataset_options.h"
#include "common/error.h"
#include "common/io.h"
#include "data/dataset.h"

namespace fs = std::filesystem;

namespace bertft {
namespace {

struct SplitOptions {
  std::string data, output;
  double test_fraction = 0.2;
  uint64_t seed = 42;
  DatasetCliOptions dataset;
};

// {"text", "text_pair"?, "label": name, "probs"?} per example.
std::string json_lines(const Dataset& d) {
  std::string out;
  for (const Example& ex : d.examples) {
    nlohmann::ordered_json line = {{"text", ex.text}};
    if (!ex.text_pair.empty()) line["text_pair"] = ex.text_pair;
    line["label"] = d.label_names[ex.label];
    if (!ex.probs.empty()) line["probs"] = ex.probs;
    out += line.dump() + "\n";
  }
  return out;
}

nlohmann::ordered_json per_label(const Dataset& d) {
  std::vector<int64_t> counts(d.label_names.size());
  for (const Example& ex : d.examples) counts[ex.label]++;
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (size_t i = 0; i < counts.size(); i++) j[d.label_names[i]] = counts[i];
  return j;
}

void run_split(const SplitOptions& o) {
  check_output_dir("--output", o.output);
  const Dataset data = load_dataset(o.data, o.dataset.to_options());
  const auto [train, test] = stratified_split(data, o.test_fraction, o.seed);
  make_directories(o.output);
  std::string labels;
  for (const std::string& name : data.label_names) labels += name + "\n";
  write_file_atomic((fs::path(o.output) / "train.jsonl").string(), json_lines(train));
  write_file_atomic((fs::path(o.output) / "test.jsonl").string(), json_lines(test));
  write_file_atomic((fs::path(o.output) / "labels.txt").string(), labels);
  nlohmann::ordered_json summary = {{"train", train.examples.size()}, {"test", test.examples.size()},
                                    {"labels", data.label_names}, {"train_per_label", per_label(train)},
                                    {"test_per_label", per_label(test)}};
  std::printf("%s\n", summary.dump().c_str());
}

void setup_split(CLI::App& app) {
  auto o = std::make_shared<SplitOptions>();
  CLI::App* sub = app.add_subcommand(
      "split", "Stratified train / test split of labeled data into DIR/train.jsonl, DIR/test.jsonl, DIR/labels.txt");
  sub->add_option("--data", o->data, kDatasetSpecHelp)->required();
  sub->add_option("--output", o->output,
                  "Directory for train.jsonl and test.jsonl ({\"text\", \"label\": name}) and labels.txt (the "
                  "classes in id order, for --label-names)")
      ->required();
  add_number_option(sub, "--test-fraction", o->test_fraction, "(0, 1)", "Share of each class that goes to test.jsonl");
  add_number_option(sub, "--seed", o->seed, "[0, inf)", "Seed of the per-class shuffle");
  add_dataset_options(sub, o->dataset);
  sub->callback([o] { run_split(*o); });
}

const bool registered = register_command("split", setup_split);

}  // namespace
}  // namespace bertft
