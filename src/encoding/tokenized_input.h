#pragma once
#include <cstdint>
#include <vector>

namespace bertft {

// One tokenized input as the model takes it: ids with the tokenizer's special tokens ([CLS] ... [SEP],
// <s> ... </s>) and their segment (token type) ids, same length.
struct TokenizedInput {
  std::vector<int32_t> ids;
  std::vector<int32_t> type_ids;
};

}  // namespace bertft
