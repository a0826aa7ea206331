#include "encoding/encoded_dataset.h"

#include <algorithm>
#include <iterator>

#include "common/error.h"

namespace bertft {

Truncation truncation_from_name(const std::string& name, int head_tokens, int chunk_overlap) {
  Truncation t{.head_tokens = head_tokens, .chunk_overlap = chunk_overlap};
  if (name == "head+tail") {
    t.strategy = Truncation::Strategy::HeadTail;
  } else if (name == "chunks") {
    t.strategy = Truncation::Strategy::Chunks;
  } else if (name != "head") {
    throw Error("--truncation must be head, head+tail or chunks, not '" + name + "'");
  }
  if (head_tokens < 0) throw Error("--head-tokens must not be negative");
  if (chunk_overlap < 0) throw Error("--chunk-overlap must not be negative");
  return t;
}

std::string describe(const Truncation& truncation) {
  switch (truncation.strategy) {
    case Truncation::Strategy::HeadTail:
      return "head+tail (" + std::to_string(truncation.head_tokens) + " head tokens)";
    case Truncation::Strategy::Chunks:
      return "chunks (" + std::to_string(truncation.chunk_overlap) + " tokens overlap)";
    case Truncation::Strategy::Head:
      break;
  }
  return "head";
}

TokenizedInput encode_input(const Tokenizer& tokenizer, std::string_view text,
                            std::optional<std::string_view> pair, int max_length, const Truncation& truncation,
                            bool* was_truncated, int32_t* untruncated_length) {
  const auto limit = static_cast<size_t>(max_length);
  const TruncationSide side = truncation.side;
  TokenizedInput input;
  if (pair) {
    // Untruncated first, to count what truncation cuts (re-encoding only those inputs).
    Encoding e = tokenizer.encode(text, pair, 0);
    if (untruncated_length) *untruncated_length = static_cast<int32_t>(e.ids.size());
    *was_truncated = e.ids.size() > limit;
    if (*was_truncated) e = tokenizer.encode(text, pair, limit, side);
    input.ids = std::move(e.ids);
    input.type_ids = std::move(e.type_ids);
    return input;
  }
  input.ids = tokenizer.encode_ids(text);
  if (untruncated_length) *untruncated_length = static_cast<int32_t>(input.ids.size());
  *was_truncated = input.ids.size() > limit;
  if (*was_truncated) {
    const size_t specials = tokenizer.num_special_tokens(false);
    if (truncation.strategy == Truncation::Strategy::HeadTail && specials == 2 && limit >= 2) {
      // [CLS] head ... tail [SEP]: the content between the two special tokens loses its middle.
      const size_t keep = limit - 2, content = input.ids.size() - 2;
      const size_t head = std::min(static_cast<size_t>(truncation.head_tokens), keep);
      std::vector<int32_t> cut;
      cut.reserve(limit);
      cut.push_back(input.ids.front());
      cut.insert(cut.end(), input.ids.begin() + 1, input.ids.begin() + 1 + static_cast<ptrdiff_t>(head));
      cut.insert(cut.end(), input.ids.begin() + 1 + static_cast<ptrdiff_t>(content - (keep - head)),
                 input.ids.end() - 1);
      cut.push_back(input.ids.back());
      input.ids = std::move(cut);
    } else {
      input.ids = tokenizer.encode_ids(text, limit, side);
    }
  }
  input.type_ids.assign(input.ids.size(), 0);
  return input;
}

void check_truncation(const Truncation& truncation, int max_length) {
  // encode_input would keep the head alone: a run labelled head+tail that is really head.
  if (truncation.strategy == Truncation::Strategy::HeadTail && truncation.head_tokens >= max_length - 2)
    throw Error("--truncation head+tail: --head-tokens " + std::to_string(truncation.head_tokens) +
                " leaves no tail within --max-length " + std::to_string(max_length) + " (at most " +
                std::to_string(max_length - 3) + ", or --truncation head)");
  if (truncation.strategy == Truncation::Strategy::Chunks && truncation.chunk_overlap >= max_length - 2)
    throw Error("--chunk-overlap " + std::to_string(truncation.chunk_overlap) + " must be less than --max-length - 2 (" +
                std::to_string(max_length - 2) + ")");
}

std::vector<TokenizedInput> encode_windows(const Tokenizer& tokenizer, std::string_view text,
                                           std::optional<std::string_view> pair, int max_length,
                                           const Truncation& truncation, bool* was_truncated,
                                           int32_t* untruncated_length) {
  const bool windows = truncation.strategy == Truncation::Strategy::Chunks && !pair &&
                       tokenizer.num_special_tokens(false) == 2;
  if (!windows) return {encode_input(tokenizer, text, pair, max_length, truncation, was_truncated, untruncated_length)};
  check_truncation(truncation, max_length);
  const int64_t width = max_length - 2;
  const std::vector<int32_t> ids = tokenizer.encode_ids(text);  // [CLS] content [SEP]
  if (untruncated_length) *untruncated_length = static_cast<int32_t>(ids.size());
  *was_truncated = ids.size() > static_cast<size_t>(max_length);
  if (!*was_truncated) return {TokenizedInput{ids, std::vector<int32_t>(ids.size(), 0)}};
  const int64_t content = static_cast<int64_t>(ids.size()) - 2, stride = width - truncation.chunk_overlap;
  std::vector<TokenizedInput> out;
  for (int64_t start = 0;; start += stride) {
    start = std::min(start, content - width);  // the last window ends at the text's end
    TokenizedInput window;
    window.ids.reserve(max_length);
    window.ids.push_back(ids.front());
    window.ids.insert(window.ids.end(), ids.begin() + 1 + start, ids.begin() + 1 + start + width);
    window.ids.push_back(ids.back());
    window.type_ids.assign(window.ids.size(), 0);
    out.push_back(std::move(window));
    if (start + width >= content) break;
  }
  return out;
}

EncodedDataset encode_dataset(const Tokenizer& tokenizer, const Dataset& dataset, int max_length,
                              const Truncation& truncation) {
  const int64_t n = static_cast<int64_t>(dataset.examples.size());
  const bool chunks = truncation.strategy == Truncation::Strategy::Chunks;
  EncodedDataset out;
  std::vector<std::vector<TokenizedInput>> windows(chunks ? n : 0);
  out.inputs.resize(chunks ? 0 : n);
  out.labels.resize(n);
  out.lengths.resize(n);
  int64_t truncated = 0;
  check_truncation(truncation, max_length);
#pragma omp parallel for schedule(dynamic, 64) reduction(+ : truncated)
  for (int64_t i = 0; i < n; i++) {
    const Example& ex = dataset.examples[i];
    std::optional<std::string_view> pair;
    if (!ex.text_pair.empty()) pair = ex.text_pair;
    bool cut = false;
    if (chunks)
      windows[i] = encode_windows(tokenizer, ex.text, pair, max_length, truncation, &cut, &out.lengths[i]);
    else
      out.inputs[i] = encode_input(tokenizer, ex.text, pair, max_length, truncation, &cut, &out.lengths[i]);
    truncated += cut;
    out.labels[i] = ex.label;
  }
  out.truncated = truncated;
  const bool soft = std::any_of(dataset.examples.begin(), dataset.examples.end(),
                                [](const Example& ex) { return !ex.probs.empty(); });
  if (soft) {
    const size_t classes = dataset.label_names.size();
    out.targets.assign(n * classes, 0.0f);
    for (int64_t i = 0; i < n; i++) {
      const Example& ex = dataset.examples[i];
      float* row = out.targets.data() + i * classes;
      if (ex.probs.empty())
        row[ex.label] = 1.0f;
      else
        std::copy(ex.probs.begin(), ex.probs.end(), row);
    }
  }
  if (chunks) {
    out.first_input.reserve(n + 1);
    for (auto& w : windows) {
      out.first_input.push_back(out.inputs.size());
      std::move(w.begin(), w.end(), std::back_inserter(out.inputs));
    }
    out.first_input.push_back(out.inputs.size());
  }
  return out;
}

EncodedDataset windows_as_examples(EncodedDataset data) {
  if (data.first_input.empty()) return data;
  std::vector<int32_t> labels, lengths;
  std::vector<float> targets;
  labels.reserve(data.inputs.size());
  lengths.reserve(data.inputs.size());
  const size_t classes = data.labels.empty() ? 0 : data.targets.size() / data.labels.size();
  targets.reserve(data.inputs.size() * classes);
  for (size_t i = 0; i + 1 < data.first_input.size(); i++) {
    const size_t windows = data.first_input[i + 1] - data.first_input[i];
    labels.insert(labels.end(), windows, data.labels[i]);
    lengths.insert(lengths.end(), windows, data.lengths[i]);
    for (size_t w = 0; w < windows; w++)
      targets.insert(targets.end(), data.targets.begin() + i * classes, data.targets.begin() + (i + 1) * classes);
  }
  data.labels = std::move(labels);
  data.lengths = std::move(lengths);
  data.targets = std::move(targets);
  data.first_input.clear();
  return data;
}

}  // namespace bertft
