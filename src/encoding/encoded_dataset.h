#pragma once
// A labeled dataset after tokenization: what the trainer batches and the evaluator classifies.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/dataset.h"
#include "encoding/tokenized_input.h"
#include "tokenizer/tokenizer.h"

namespace bertft {

// How an input longer than max_length is cut.
//   head       HF truncation=True: the first tokens (longest-first for pairs).
//   head+tail  Sun et al. 2019 ("How to Fine-Tune BERT for Text Classification?"): a single text keeps
//              its first head_tokens tokens and its last max_length - 2 - head_tokens, since reviews
//              often conclude at the end. Pairs are cut as with head.
//   chunks     for inference on whole texts: a single text becomes windows [CLS] w [SEP] of
//              max_length - 2 tokens, neighbours sharing chunk_overlap tokens and the last ending at
//              the text's end; the text's class probabilities are the mean of its windows' (evaluate,
//              predict, serve), and training takes each window as an example. Pairs are cut as with head.
struct Truncation {
  enum class Strategy { Head, HeadTail, Chunks };
  Strategy strategy = Strategy::Head;
  int head_tokens = 128;
  int chunk_overlap = 32;
  // Which end head (and chunks, for pairs) cuts: Left keeps the last tokens, as a serve request's
  // "truncation_direction": "Left" asks.
  TruncationSide side = TruncationSide::Right;
};

// "head", "head+tail" or "chunks"; throws Error naming --truncation / --head-tokens / --chunk-overlap
// otherwise.
Truncation truncation_from_name(const std::string& name, int head_tokens, int chunk_overlap = 32);
// "head", "head+tail (H head tokens)" or "chunks (O tokens overlap)", for logs and reports.
std::string describe(const Truncation& truncation);

// Tokenizes one input ([CLS] A [SEP] or [CLS] A [SEP] B [SEP]) and cuts it to max_length tokens
// (chunks: as head); sets *was_truncated when it was longer, and *untruncated_length (if given) to
// its length before.
TokenizedInput encode_input(const Tokenizer& tokenizer, std::string_view text,
                            std::optional<std::string_view> pair, int max_length, const Truncation& truncation,
                            bool* was_truncated, int32_t* untruncated_length = nullptr);

// Throws Error when head+tail's head leaves no room for a tail, or chunks' overlap no room to
// advance (either >= max_length - 2).
void check_truncation(const Truncation& truncation, int max_length);

// encode_input, except that with chunks a single text longer than max_length gives its windows.
std::vector<TokenizedInput> encode_windows(const Tokenizer& tokenizer, std::string_view text,
                                           std::optional<std::string_view> pair, int max_length,
                                           const Truncation& truncation, bool* was_truncated,
                                           int32_t* untruncated_length = nullptr);

struct EncodedDataset {
  std::vector<TokenizedInput> inputs;  // one per example, or with chunks, each example's windows in turn
  std::vector<size_t> first_input;     // chunks only: example i is inputs[first_input[i], first_input[i + 1])
  std::vector<int32_t> labels;
  // [examples, classes] when some example has a soft label (Example::probs): each example's class
  // probabilities to learn, one-hot for the others; else empty.
  std::vector<float> targets;
  std::vector<int32_t> lengths;  // each example's token count before truncation
  int64_t truncated = 0;  // examples longer than max_length
};

// Tokenizes every example (text and optional text_pair) to at most max_length tokens per input, in
// parallel.
EncodedDataset encode_dataset(const Tokenizer& tokenizer, const Dataset& dataset, int max_length,
                              const Truncation& truncation = {});

// Training on whole texts (chunks): each window becomes an example with its text's label, targets and
// length.
EncodedDataset windows_as_examples(EncodedDataset data);

}  // namespace bertft
