#pragma once
// A labeled dataset after tokenization: what the trainer batches and the evaluator classifies.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/dataset.h"
#include "inference/classifier.h"
#include "tokenizer/tokenizer.h"

namespace bertft {

// How an input longer than max_length is cut.
//   head       HF truncation=True: the first tokens (longest-first for pairs).
//   head+tail  Sun et al. 2019 ("How to Fine-Tune BERT for Text Classification?"): a single text keeps
//              its first head_tokens tokens and its last max_length - 2 - head_tokens, since reviews
//              often conclude at the end. Pairs are cut as with head.
struct Truncation {
  bool head_tail = false;
  int head_tokens = 128;
};

// "head" or "head+tail"; throws Error naming --truncation / --head-tokens otherwise.
Truncation truncation_from_name(const std::string& name, int head_tokens);

// Tokenizes one input ([CLS] A [SEP] or [CLS] A [SEP] B [SEP]) and cuts it to max_length tokens;
// sets *was_truncated when it was longer, and *untruncated_length (if given) to its length before.
TokenizedInput encode_input(const BertTokenizer& tokenizer, std::string_view text,
                            std::optional<std::string_view> pair, int max_length, const Truncation& truncation,
                            bool* was_truncated, int32_t* untruncated_length = nullptr);

struct EncodedDataset {
  std::vector<TokenizedInput> inputs;
  std::vector<int32_t> labels;
  std::vector<int32_t> lengths;  // each input's token count before truncation
  int64_t truncated = 0;  // inputs cut at max_length
};

// Tokenizes every example (text and optional text_pair) to at most max_length tokens, in parallel.
EncodedDataset encode_dataset(const BertTokenizer& tokenizer, const Dataset& dataset, int max_length,
                              const Truncation& truncation = {});

}  // namespace bertft
