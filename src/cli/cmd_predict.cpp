// bertft predict: classify texts with a model directory, one JSON line per input, in input order.
#include <omp.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/model_option.h"
#include "cli/truncation_options.h"
#include "common/precision.h"
#include "common/error.h"
#include "data/text_input.h"
#include "inference/text_classifier.h"

namespace bertft {
namespace {

// Inputs read, tokenized and classified at a time: bounds memory for arbitrarily large inputs while
// leaving enough texts to sort by length into batches.
constexpr size_t kChunkInputs = 4096;

struct PredictOptions {
  std::string model_dir;
  std::string text;
  std::string input;
  int batch_size = 32;
  int max_length = 0;  // 0: the model's max_position_embeddings
  int threads = default_threads();
  std::string precision = "auto";
  TruncationCliOptions truncation;
};

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

// {"label":NAME,"score":P,"probs":[...],"logits":[...]}, spaced as every command's JSON (nlohmann's dump())
void append_prediction(std::string& out, const ModelConfig& config, const float* probs, const float* logits) {
  const int C = config.num_labels();
  const int best = static_cast<int>(std::max_element(probs, probs + C) - probs);
  out += "{\"label\":";
  out += nlohmann::json(config.id2label[best]).dump();
  out += ",\"score\":";
  append_float(out, probs[best]);
  out += ",\"probs\":";
  append_floats(out, probs, C);
  out += ",\"logits\":";
  append_floats(out, logits, C);
  out += "}\n";
}

// Classifies records (read from `source`) and writes one line per record, in order, to stdout.
void write_predictions(TextClassifier& classifier, const std::vector<TextInput>& records, const std::string& source) {
  const ModelConfig& config = classifier.config();
  const size_t C = static_cast<size_t>(config.num_labels());
  std::vector<float> probs(records.size() * C), logits(records.size() * C);
  classifier.classify(records, source, probs.data(), logits.data());
  std::string out;
  for (size_t i = 0; i < records.size(); i++) append_prediction(out, config, &probs[i * C], &logits[i * C]);
  if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0)
    throw Error("stdout: write failed");
}

void run_predict(const PredictOptions& opt) {
  TextClassifierOptions options;
  options.precision = precision_from_name(opt.precision);
  options.truncation = opt.truncation.to_truncation();
  options.batch_size = opt.batch_size;
  options.max_length = opt.max_length;
  use_threads(opt.threads);

  std::vector<std::string> notices;
  TextClassifier classifier(opt.model_dir, options, &notices);
  for (const std::string& notice : notices) std::fprintf(stderr, "bertft: notice: %s\n", notice.c_str());
  if (opt.input.empty()) {
    TextInput record;
    record.text = opt.text;
    if (sanitize_utf8(record.text))
      std::fprintf(stderr, "bertft: warning: --text: invalid UTF-8 replaced with U+FFFD\n");
    write_predictions(classifier, {record}, "--text");
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
      if (!chunk.empty()) write_predictions(classifier, chunk, reader.name());
    }
    if (const std::string warning = reader.sanitized_warning(); !warning.empty())
      std::fprintf(stderr, "bertft: warning: %s\n", warning.c_str());
  }
  if (classifier.truncated() > 0)
    std::fprintf(stderr, "bertft: notice: %lld input(s) longer than %d tokens were %s\n",
                 static_cast<long long>(classifier.truncated()), classifier.max_length(),
                 options.truncation.strategy == Truncation::Strategy::Chunks ? "classified by their windows"
                                                                             : "truncated");
}

void setup_predict(CLI::App& app) {
  auto opt = std::make_shared<PredictOptions>();
  CLI::App* sub = app.add_subcommand(
      "predict",
      "Classify texts: one JSON line per input, in input order: {\"label\", \"score\", \"probs\", "
      "\"logits\"}");
  add_model_option(sub, opt->model_dir, "Classifier")
      ->required();
  CLI::Option_group* source = sub->add_option_group("input", "Texts to classify");
  source->add_option("--text", opt->text, "Classify this one text");
  source->add_option("--input", opt->input,
                     "File to classify, '-' for stdin: JSON Lines ({\"text\": ..., optional "
                     "\"text_pair\": ...}; blank lines skipped) if its first non-blank line is a JSON "
                     "object, else one text per line");
  source->require_option(1);
  add_number_option(sub, "--batch-size", opt->batch_size, kBatchSizeRange,
                    "Inputs per forward pass (sorted by length)");
  add_number_option(sub, "--max-length", opt->max_length, "[0, inf)",
                    "Tokens per input incl. special tokens; longer inputs are truncated "
                    "(0: the model's max_position_embeddings)");
  add_threads_option(sub, opt->threads);
  sub->add_option("--precision", opt->precision, kPrecisionHelp);
  add_truncation_options(sub, opt->truncation);
  sub->callback([opt] { run_predict(*opt); });
}

const bool registered = register_command("predict", setup_predict);

}  // namespace
}  // namespace bertft
