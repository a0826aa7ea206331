#include "training/encoded_dataset.h"

#include "common/error.h"

namespace bertft {

Truncation truncation_from_name(const std::string& name, int head_tokens) {
  if (name != "head" && name != "head+tail")
    throw Error("--truncation must be head or head+tail, not '" + name + "'");
  if (head_tokens < 0) throw Error("--head-tokens must not be negative");
  return {name == "head+tail", head_tokens};
}

TokenizedInput encode_input(const BertTokenizer& tokenizer, std::string_view text,
                            std::optional<std::string_view> pair, int max_length, const Truncation& truncation,
                            bool* was_truncated, int32_t* untruncated_length) {
  const auto limit = static_cast<size_t>(max_length);
  TokenizedInput input;
  if (pair) {
    // Untruncated first, to count what truncation cuts (re-encoding only those inputs).
    Encoding e = tokenizer.encode(text, pair, 0);
    if (untruncated_length) *untruncated_length = static_cast<int32_t>(e.ids.size());
    *was_truncated = e.ids.size() > limit;
    if (*was_truncated) e = tokenizer.encode(text, pair, limit);
    input.ids = std::move(e.ids);
    input.type_ids = std::move(e.type_ids);
    return input;
  }
  input.ids = tokenizer.encode_ids(text);
  if (untruncated_length) *untruncated_length = static_cast<int32_t>(input.ids.size());
  *was_truncated = input.ids.size() > limit;
  if (*was_truncated) {
    const size_t specials = tokenizer.num_special_tokens(false);
    if (truncation.head_tail && specials == 2 && limit >= 2) {
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
      input.ids = tokenizer.encode_ids(text, limit);
    }
  }
  input.type_ids.assign(input.ids.size(), 0);
  return input;
}

EncodedDataset encode_dataset(const BertTokenizer& tokenizer, const Dataset& dataset, int max_length,
                              const Truncation& truncation) {
  const int64_t n = static_cast<int64_t>(dataset.examples.size());
  EncodedDataset out;
  out.inputs.resize(n);
  out.labels.resize(n);
  out.lengths.resize(n);
  int64_t truncated = 0;
#pragma omp parallel for schedule(dynamic, 64) reduction(+ : truncated)
  for (int64_t i = 0; i < n; i++) {
    const Example& ex = dataset.examples[i];
    std::optional<std::string_view> pair;
    if (!ex.text_pair.empty()) pair = ex.text_pair;
    bool cut = false;
    out.inputs[i] = encode_input(tokenizer, ex.text, pair, max_length, truncation, &cut, &out.lengths[i]);
    truncated += cut;
    out.labels[i] = ex.label;
  }
  out.truncated = truncated;
  return out;
}

}  // namespace bertft
