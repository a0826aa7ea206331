#include "inference/text_classifier.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>

#include "common/error.h"
#include "data/dataset.h"
#include "kernels/classifier_head.h"

namespace bertft {

namespace {

Model load_classifier(const std::string& model_dir, std::vector<std::string>* notices) {
  LoadOptions load;
  load.heads = Heads{.pooler = true, .classifier = true, .mlm = false};
  return load_model(model_dir, load, notices);
}

}  // namespace

TextClassifierOptions text_classifier_options(const InferenceDefaults& inputs, Precision precision) {
  TextClassifierOptions options;
  options.max_length = inputs.max_length;
  options.truncation = inputs.truncation;
  options.strip_html = inputs.strip_html;
  options.precision = precision;
  return options;
}

TextClassifier::TextClassifier(const std::string& model_dir, const TextClassifierOptionsFor& options_for,
                               std::vector<std::string>* notices)
    : model_(load_classifier(model_dir, notices)), tokenizer_(Tokenizer::from_dir(model_dir)) {
  check_tokenizer_fits(tokenizer_, model_.config, model_dir + "/config.json");
  const TextClassifierOptions options = options_for(model_.config);
  truncation_ = options.truncation;
  strip_html_ = options.strip_html;
  precision_ = options.precision;
  if (std::string n = dequantized_notice(model_, model_dir, precision_name(precision_)); notices && !n.empty())
    notices->push_back(n);
  const int max_length = resolve_max_length(model_.config, options.max_length);
  const int min_length = static_cast<int>(tokenizer_.num_special_tokens(false));
  if (max_length < min_length)
    throw Error("--max-length " + std::to_string(max_length) + " leaves no room for the " +
                std::to_string(min_length) + " special tokens");
  check_truncation(truncation_, max_length);
  classifier_ = std::make_unique<SequenceClassifier>(model_, options.batch_size, max_length, options.precision);
}

TextClassifier::~TextClassifier() = default;

void TextClassifier::set_batch_size(int batch_size) {
  if (batch_size == classifier_->max_batch_size()) return;
  const int max_length = classifier_->max_length();
  classifier_.reset();
  classifier_ = std::make_unique<SequenceClassifier>(model_, batch_size, max_length, precision_);
}

void TextClassifier::classify(std::span<const TextInput> texts, const std::function<std::string(size_t)>& where,
                              float* probs, float* logits) {
  const size_t n = texts.size();
  const int max_length = classifier_->max_length();
  // Every text's inputs (one, or its windows with truncation chunks) in turn.
  std::vector<TokenizedInput> inputs;
  std::vector<size_t> first_input(n + 1);
  for (size_t i = 0; i < n; i++) {
    first_input[i] = inputs.size();
    try {
      std::string text = strip_html_ ? strip_html_breaks(texts[i].text) : texts[i].text;
      std::optional<std::string> pair;
      if (texts[i].text_pair) pair = strip_html_ ? strip_html_breaks(*texts[i].text_pair) : *texts[i].text_pair;
      bool cut = false;
      const std::optional<std::string_view> pair_view =
          pair ? std::optional<std::string_view>(*pair) : std::nullopt;
      for (TokenizedInput& input : encode_windows(tokenizer_, text, pair_view, max_length, truncation_, &cut)) {
        check_input_fits(model_.config, input, max_length);
        inputs.push_back(std::move(input));
      }
      truncated_ += cut;
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
  std::vector<float> sorted_logits(m * C), input_logits(m * C);
  const size_t batch_size = static_cast<size_t>(classifier_->max_batch_size());
  for (size_t begin = 0; begin < m; begin += batch_size) {
    const size_t count = std::min(batch_size, m - begin);
    classifier_->forward(std::span(sorted).subspan(begin, count), sorted_logits.data() + begin * C);
  }
  for (size_t k = 0; k < m; k++)
    std::copy_n(sorted_logits.data() + k * C, C, input_logits.data() + order[k] * C);

  for (size_t i = 0; i < n; i++) {
    const float* rows = input_logits.data() + first_input[i] * C;
    const int64_t windows = static_cast<int64_t>(first_input[i + 1] - first_input[i]);
    if (!std::all_of(rows, rows + windows * C, [](float v) { return std::isfinite(v); }))
      throw Error(where(i) + ": the model produced non-finite logits (is the checkpoint corrupt?)");
    mean_softmax_forward(probs + i * C, rows, windows, C);
    mean_window_logits(logits + i * C, rows, windows, C);
  }
}

}  // namespace bertft
