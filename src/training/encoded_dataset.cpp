#include "training/encoded_dataset.h"

#include <optional>

namespace bertft {

EncodedDataset encode_dataset(const BertTokenizer& tokenizer, const Dataset& dataset, int max_length) {
  const int64_t n = static_cast<int64_t>(dataset.examples.size());
  EncodedDataset out;
  out.inputs.resize(n);
  out.labels.resize(n);
  int64_t truncated = 0;
#pragma omp parallel for schedule(dynamic, 64) reduction(+ : truncated)
  for (int64_t i = 0; i < n; i++) {
    const Example& ex = dataset.examples[i];
    std::optional<std::string_view> pair;
    if (!ex.text_pair.empty()) pair = ex.text_pair;
    // Untruncated first, to count what truncation cuts (re-encoding only those inputs).
    Encoding e = tokenizer.encode(ex.text, pair, 0);
    if (static_cast<int>(e.ids.size()) > max_length) {
      truncated++;
      e = tokenizer.encode(ex.text, pair, static_cast<size_t>(max_length));
    }
    out.inputs[i] = TokenizedInput{std::move(e.ids), std::move(e.type_ids)};
    out.labels[i] = ex.label;
  }
  out.truncated = truncated;
  return out;
}

}  // namespace bertft
