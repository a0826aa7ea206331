#pragma once
// A labeled dataset after tokenization: what the trainer batches and the evaluator classifies.
#include <cstdint>
#include <vector>

#include "data/dataset.h"
#include "inference/classifier.h"
#include "tokenizer/tokenizer.h"

namespace bertft {

struct EncodedDataset {
  std::vector<TokenizedInput> inputs;
  std::vector<int32_t> labels;
  int64_t truncated = 0;  // inputs cut at max_length
};

// Tokenizes every example (text and optional text_pair) to at most max_length tokens, in parallel.
EncodedDataset encode_dataset(const BertTokenizer& tokenizer, const Dataset& dataset, int max_length);

}  // namespace bertft
