// bertft predict: classify texts with a model directory (or an ensemble of several), one JSON line per
// input, in input order.
#include <omp.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/dataset_options.h"
#include "cli/model_option.h"
#include "cli/truncation_options.h"
#include "common/precision.h"
#include "common/error.h"
#include "data/dataset.h"
#include "data/text_files.h"
#include "data/text_input.h"
#include "inference/ensemble.h"
#include "inference/text_classifier.h"

namespace bertft {
namespace {

// Inputs read, tokenized and classified at a time: bounds memory for arbitrarily large inputs while
// leaving enough texts to sort by length into batches.
constexpr size_t kChunkInputs = 4096;

struct PredictOptions {
  std::vector<std::string> model_dirs;  // several: an ensemble
  std::vector<double> model_weights;
  std::string text, text_pair;
  std::string input;
  int batch_size = 32;
  int max_length = 0;  // 0: the longest the model takes
  CLI::Option* max_length_option = nullptr;
  int threads = default_threads();
  std::string precision = "auto";
  TruncationCliOptions truncation;
  DatasetCliOptions dataset;  // where a data file's texts are, and --strip-html
};

// --input files read as labeled data is (data/dataset.h, without the labels): .jsonl / .json, .csv,
// .tsv, an aclImdb-style directory or ARCHIVE#MEMBER. Other files and stdin are one text per line, or
// JSON Lines {"text", "text_pair"} (data/text_input.h).
bool is_data_file(const std::string& input) {
  if (input == "-") return false;
  std::error_code ec;
  if (std::filesystem::is_directory(input, ec)) return true;
  if (!std::filesystem::exists(input, ec)) return input.find('#') != std::string::npos;
  const std::string name = ascii_lower(input);
  return is_json_lines_name(name) || name.ends_with(".csv") || name.ends_with(".tsv");
}

void append_float(std::string& out, float value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

void append_floats(std::string& out, const float* values, int n) {
  out += '[';
  for (int i = 0; i < n; i++) {
    if (i > 0) out += ',';
    append_float(out, values[i]);
  }
  out += ']';
}

// {"NAME": P, ...} in class-id order.
void append_labelled(std::string& out, const std::vector<std::string>& labels, const float* values) {
  out += '{';
  for (size_t i = 0; i < labels.size(); i++) {
    if (i > 0) out += ',';
    out += nlohmann::json(labels[i]).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out += ':';
    append_float(out, values[i]);
  }
  out += '}';
}

// {"label":NAME,"score":P,"probs":{NAME:P,...},"logits":[...]}: probabilities by label name (as a
// pipeline's top_k=None gives them), logits as the model's output vector in class-id order (an
// ensemble's: the log of its averaged probabilities).
void append_prediction(std::string& out, const ModelConfig& config, const float* probs, const float* logits) {
  const int C = config.num_labels();
  const int best = static_cast<int>(std::max_element(probs, probs + C) - probs);
  out += "{\"label\":";
  out += nlohmann::json(config.id2label[best]).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out += ",\"score\":";
  append_float(out, probs[best]);
  out += ",\"probs\":";
  append_labelled(out, config.id2label, probs);
  out += ",\"logits\":";
  append_floats(out, logits, C);
  out += "}\n";
}

// Classifies records (where(i) names record i in errors) and writes one line per record, in order, to
// stdout.
void write_predictions(Ensemble& classifier, const std::vector<TextInput>& records,
                       const std::function<std::string(size_t)>& where) {
  const ModelConfig& config = classifier.config();
  const size_t C = static_cast<size_t>(config.num_labels());
  std::vector<float> probs(records.size() * C), logits(records.size() * C);
  classifier.classify(records, where, probs.data(), logits.data());
  std::string out;
  for (size_t i = 0; i < records.size(); i++) append_prediction(out, config, &probs[i * C], &logits[i * C]);
  if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0)
    throw Error("stdout: write failed");
}

void run_predict(const PredictOptions& opt) {
  const Precision precision = precision_from_name(opt.precision);  // a bad value before loading anything
  if (!opt.text_pair.empty() && opt.text.empty()) throw Error("--text-pair needs --text");
  DatasetOptions data_options = opt.dataset.to_options();
  data_options.strip_html = false;  // the classifier cleans what it classifies
  const bool data_file = !opt.input.empty() && is_data_file(opt.input);
  if (!opt.input.empty() && !data_file &&
      (!opt.dataset.text_column.empty() || !opt.dataset.text_columns.empty() ||
       !opt.dataset.text_pair_column.empty() || opt.dataset.no_header || !opt.dataset.column_names.empty()))
    throw Error("--input " + opt.input + ": the column options apply to .csv, .tsv and .jsonl files, not to "
                "one text per line");
  use_threads(opt.threads);

  std::vector<std::string> notices;
  Ensemble classifier(
      opt.model_dirs, opt.model_weights,
      [&](const std::string& model_dir, const ModelConfig& config) {
        TextClassifierOptions options = text_classifier_options(
            resolve_inference_options(config, model_dir + "/config.json", opt.max_length_option, opt.max_length,
                                      opt.truncation, opt.dataset.strip_html),
            precision);
        options.batch_size = opt.batch_size;
        return options;
      },
      &notices);
  for (const std::string& notice : notices) std::fprintf(stderr, "bertft: notice: %s\n", notice.c_str());
  if (opt.input.empty()) {
    TextInput record;
    record.text = opt.text;
    if (!opt.text_pair.empty()) record.text_pair = opt.text_pair;
    bool sanitized = sanitize_utf8(record.text);
    if (record.text_pair) sanitized = sanitize_utf8(*record.text_pair) || sanitized;
    if (sanitized) std::fprintf(stderr, "bertft: warning: --text: invalid UTF-8 replaced with U+FFFD\n");
    write_predictions(classifier, {record}, [](size_t) { return std::string("--text"); });
  } else if (data_file) {
    const std::vector<Example> examples = load_texts(opt.input, data_options);
    for (size_t begin = 0; begin < examples.size(); begin += kChunkInputs) {
      const size_t end = std::min(examples.size(), begin + kChunkInputs);
      std::vector<TextInput> chunk;
      for (size_t i = begin; i < end; i++) {
        TextInput record;
        record.text = examples[i].text;
        if (!examples[i].text_pair.empty()) record.text_pair = examples[i].text_pair;
        chunk.push_back(std::move(record));
      }
      write_predictions(classifier, chunk, [&](size_t i) { return examples[begin + i].origin; });
    }
  } else {
    std::ifstream file;
    if (opt.input != "-") file = open_input_file(opt.input);
    TextInputReader reader(opt.input == "-" ? std::cin : file, opt.input == "-" ? "stdin" : opt.input);
    std::vector<TextInput> chunk;
    TextInput record;
    bool more = true;
    while (more) {
      chunk.clear();
      while (chunk.size() < kChunkInputs && (more = reader.next(record))) chunk.push_back(std::move(record));
      if (!chunk.empty())
        write_predictions(classifier, chunk, [&](size_t i) { return input_location(reader.name(), chunk[i]); });
    }
    if (const std::string warning = reader.sanitized_warning(); !warning.empty())
      std::fprintf(stderr, "bertft: warning: %s\n", warning.c_str());
  }
  for (size_t m = 0; m < classifier.size(); m++) {
    const TextClassifier& member = classifier.member(m);
    // An ensemble's members each read texts their own way: each says what it cut.
    const std::string model = classifier.size() > 1 ? "--model " + classifier.model_dir(m) + ": " : "";
    if (member.truncated() > 0)
      std::fprintf(stderr, "bertft: notice: %s%lld input(s) longer than %d tokens were %s\n", model.c_str(),
                   static_cast<long long>(member.truncated()), member.max_length(),
                   member.truncation().strategy == Truncation::Strategy::Chunks ? "classified by their windows"
                                                                                : "truncated");
  }
}

void setup_predict(CLI::App& app) {
  auto opt = std::make_shared<PredictOptions>();
  CLI::App* sub = app.add_subcommand(
      "predict",
      "Classify texts: one JSON line per input, in input order: {\"label\", \"score\", \"probs\": {LABEL: P, "
      "...}, \"logits\": [...]}. Several --model: an ensemble, scoring each text by the mean of their "
      "probabilities (logits: the log of that mean)");
  add_ensemble_model_option(sub, opt->model_dirs, "Classifier")->required();
  add_model_weights_option(sub, opt->model_weights);
  CLI::Option_group* source = sub->add_option_group("input", "Texts to classify");
  source->add_option("--text", opt->text, "Classify this one text");
  source->add_option("--input", opt->input,
                     "File to classify: a data file as train and eval read it, without needing labels "
                     "(.csv / .tsv with a header, .jsonl, an aclImdb-style directory or ARCHIVE#MEMBER; "
                     "--text-column etc. say where the texts are); any other file, or '-' for stdin, is one "
                     "text per line, or JSON Lines {\"text\", \"text_pair\"?} if its first non-blank line "
                     "is a JSON object");
  source->require_option(1);
  sub->add_option("--text-pair", opt->text_pair, "With --text: the second text of a pair");
  add_number_option(sub, "--batch-size", opt->batch_size, kBatchSizeRange,
                    "Inputs per forward pass (sorted by length)");
  opt->max_length_option = add_inference_max_length_option(sub, opt->max_length, "input");
  add_threads_option(sub, opt->threads);
  sub->add_option("--precision", opt->precision, kPrecisionHelp);
  add_truncation_options(sub, opt->truncation);
  add_text_column_options(sub, opt->dataset);
  sub->callback([opt] { run_predict(*opt); });
}

const bool registered = register_command("predict", setup_predict);

}  // namespace
}  // namespace bertft
