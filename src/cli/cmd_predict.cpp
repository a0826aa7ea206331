// bertft predict: classify texts with a model directory, one JSON line per input, in input order.
#include <omp.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
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
#include "inference/classifier.h"
#include "kernels/classifier_head.h"
#include "model/checkpoint.h"
#include "tokenizer/tokenizer.h"

namespace bertft {
namespace {

// Inputs read, tokenized and classified at a time: bounds memory for arbitrarily large inputs while
// leaving enough texts to sort by length into batches.
constexpr size_t kChunkInputs = 4096;

struct PredictOptions {
  std::string model_dir;
  std::string text, text_pair;
  std::string input;
  int batch_size = 32;
  int max_length = 0;  // 0: the longest the model takes
  CLI::Option* max_length_option = nullptr;
  int threads = omp_get_num_procs();
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
    if (i > 0) out += ", ";
    append_float(out, values[i]);
  }
  out += ']';
}

// {"NAME": P, ...} in class-id order.
void append_labelled(std::string& out, const std::vector<std::string>& labels, const float* values) {
  out += '{';
  for (size_t i = 0; i < labels.size(); i++) {
    if (i > 0) out += ", ";
    out += nlohmann::json(labels[i]).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out += ": ";
    append_float(out, values[i]);
  }
  out += '}';
}

// {"label": NAME, "score": P, "probs": {NAME: P, ...}, "logits": [...]}: probabilities by label name (as a
// pipeline's top_k=None gives them), logits as the model's output vector in class-id order.
void append_prediction(std::string& out, const ModelConfig& config, const float* probs, const float* logits) {
  const int C = config.num_labels();
  const int best = static_cast<int>(std::max_element(probs, probs + C) - probs);
  out += "{\"label\": ";
  out += nlohmann::json(config.id2label[best]).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out += ", \"score\": ";
  append_float(out, probs[best]);
  out += ", \"probs\": ";
  append_labelled(out, config.id2label, probs);
  out += ", \"logits\": ";
  append_floats(out, logits, C);
  out += "}\n";
}

class Predictor {
 public:
  Predictor(const Model& model, const Tokenizer& tokenizer, int batch_size, int max_length, Precision precision,
            Truncation truncation)
      : model_(model),
        tokenizer_(tokenizer),
        truncation_(truncation),
        classifier_(model, batch_size, max_length, precision) {}

  // Classifies `records` and writes one line per record, in order, to stdout; where(i) names record i in
  // errors.
  void run(const std::vector<TextInput>& records, const std::function<std::string(size_t)>& where) {
    const size_t n = records.size();
    const int max_length = classifier_.max_length();
    // Every record's inputs (one, or its windows with --truncation chunks) in turn.
    std::vector<TokenizedInput> inputs;
    std::vector<size_t> first_input(n + 1);
    for (size_t i = 0; i < n; i++) {
      first_input[i] = inputs.size();
      try {
        for (TokenizedInput& input : encode(records[i], max_length)) {
          check_input_fits(model_.config, input, max_length);
          inputs.push_back(std::move(input));
        }
      } catch (const Error& e) {
        throw Error(where(i) + ": " + e.what());
      }
    }
    first_input[n] = inputs.size();
    // Batches of similar lengths, then logits scattered back to input order.
    const size_t m = inputs.size();
    std::vector<size_t> order(m);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return inputs[a].ids.size() < inputs[b].ids.size(); });
    std::vector<TokenizedInput> sorted(m);
    for (size_t k = 0; k < m; k++) sorted[k] = std::move(inputs[order[k]]);
    const int C = model_.config.num_labels();
    std::vector<float> sorted_logits(m * C), logits(m * C);
    const size_t batch_size = static_cast<size_t>(classifier_.max_batch_size());
    for (size_t begin = 0; begin < m; begin += batch_size) {
      const size_t count = std::min(batch_size, m - begin);
      classifier_.forward(std::span(sorted).subspan(begin, count), sorted_logits.data() + begin * C);
    }
    for (size_t k = 0; k < m; k++)
      std::copy_n(sorted_logits.data() + k * C, C, logits.data() + order[k] * C);

    std::string out;
    std::vector<float> probs(C), text_logits(C);
    for (size_t i = 0; i < n; i++) {
      const float* rows = logits.data() + first_input[i] * C;
      const int64_t windows = static_cast<int64_t>(first_input[i + 1] - first_input[i]);
      if (!std::all_of(rows, rows + windows * C, [](float v) { return std::isfinite(v); }))
        throw Error(where(i) +
                    ": the model produced non-finite logits (is the checkpoint corrupt?)");
      mean_softmax_forward(probs.data(), rows, windows, C);
      mean_window_logits(text_logits.data(), rows, windows, C);
      append_prediction(out, model_.config, probs.data(), text_logits.data());
    }
    if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0)
      throw Error("stdout: write failed");
  }

  int64_t truncated() const { return truncated_; }

 private:
  std::vector<TokenizedInput> encode(const TextInput& record, int max_length) {
    std::optional<std::string_view> pair;
    if (record.text_pair) pair = *record.text_pair;
    bool cut = false;
    std::vector<TokenizedInput> inputs = encode_windows(tokenizer_, record.text, pair, max_length, truncation_, &cut);
    truncated_ += cut;
    return inputs;
  }

  const Model& model_;
  const Tokenizer& tokenizer_;
  Truncation truncation_;
  SequenceClassifier classifier_;
  int64_t truncated_ = 0;
};

void run_predict(const PredictOptions& opt) {
  const Precision precision = precision_from_name(opt.precision);
  if (!opt.text_pair.empty() && opt.text.empty()) throw Error("--text-pair needs --text");
  DatasetOptions data_options = opt.dataset.to_options();
  const bool data_file = !opt.input.empty() && is_data_file(opt.input);
  if (!opt.input.empty() && !data_file &&
      (!opt.dataset.text_column.empty() || !opt.dataset.text_columns.empty() ||
       !opt.dataset.text_pair_column.empty() || opt.dataset.no_header || !opt.dataset.column_names.empty()))
    throw Error("--input " + opt.input + ": the column options apply to .csv, .tsv and .jsonl files, not to "
                "one text per line");
  use_threads(opt.threads);

  std::vector<std::string> notices;
  LoadOptions load;
  load.heads = Heads{.pooler = true, .classifier = true, .mlm = false};
  const Model model = load_model(opt.model_dir, load, &notices);
  for (const std::string& notice : notices) std::fprintf(stderr, "bertft: note: %s\n", notice.c_str());
  const Tokenizer tokenizer = Tokenizer::from_dir(opt.model_dir);
  check_tokenizer_fits(tokenizer, model.config, opt.model_dir + "/config.json");

  const InferenceDefaults inputs =
      resolve_inference_options(model.config, opt.model_dir + "/config.json", opt.max_length_option, opt.max_length,
                                opt.truncation, opt.dataset.strip_html);
  const int max_length = inputs.max_length;
  const Truncation truncation = inputs.truncation;
  data_options.strip_html = inputs.strip_html;
  auto clean = [&](std::string text) { return inputs.strip_html ? strip_html_breaks(text) : text; };
  const int min_length = static_cast<int>(tokenizer.num_special_tokens(false));
  if (max_length < min_length)
    throw Error("--max-length " + std::to_string(max_length) + " leaves no room for the " +
                std::to_string(min_length) + " special tokens");

  check_truncation(truncation, max_length);
  Predictor predictor(model, tokenizer, opt.batch_size, max_length, precision, truncation);
  if (opt.input.empty()) {
    TextInput record;
    record.text = opt.text;
    if (!opt.text_pair.empty()) record.text_pair = opt.text_pair;
    bool sanitized = sanitize_utf8(record.text);
    if (record.text_pair) sanitized = sanitize_utf8(*record.text_pair) || sanitized;
    if (sanitized) std::fprintf(stderr, "bertft: warning: --text: invalid UTF-8 replaced with U+FFFD\n");
    record.text = clean(std::move(record.text));
    if (record.text_pair) record.text_pair = clean(std::move(*record.text_pair));
    predictor.run({record}, [](size_t) { return std::string("--text"); });
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
      predictor.run(chunk, [&](size_t i) { return examples[begin + i].origin; });
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
      while (chunk.size() < kChunkInputs && (more = reader.next(record))) {
        record.text = clean(std::move(record.text));
        if (record.text_pair) record.text_pair = clean(std::move(*record.text_pair));
        chunk.push_back(std::move(record));
      }
      if (!chunk.empty()) predictor.run(chunk, [&](size_t i) { return input_location(reader.name(), chunk[i]); });
    }
    if (const std::string warning = reader.sanitized_warning(); !warning.empty())
      std::fprintf(stderr, "bertft: warning: %s\n", warning.c_str());
  }
  if (predictor.truncated() > 0)
    std::fprintf(stderr, "bertft: note: %lld input(s) longer than %d tokens were %s\n",
                 static_cast<long long>(predictor.truncated()), max_length,
                 truncation.strategy == Truncation::Strategy::Chunks ? "classified by their windows" : "truncated");
}

void setup_predict(CLI::App& app) {
  auto opt = std::make_shared<PredictOptions>();
  CLI::App* sub = app.add_subcommand(
      "predict",
      "Classify texts: one JSON line per input, in input order: {\"label\", \"score\", \"probs\": {LABEL: P, "
      "...}, \"logits\": [...]}");
  add_model_option(sub, opt->model_dir, "Classifier")
      ->required();
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
  opt->max_length_option =
      add_number_option(sub, "--max-length", opt->max_length, "[0, inf)",
                        max_length_help("input") + ". Default: what the model directory records, else 0")
          ->default_str("model directory's");
  add_number_option(sub, "--threads", opt->threads, kThreadsRange, "Threads (default: all cores of this machine)");
  sub->add_option("--precision", opt->precision, kPrecisionHelp);
  add_truncation_options(sub, opt->truncation);
  add_text_column_options(sub, opt->dataset);
  sub->callback([opt] { run_predict(*opt); });
}

const bool registered = register_command("predict", setup_predict);

}  // namespace
}  // namespace bertft
