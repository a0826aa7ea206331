// What the loaders share: line errors, token ids, special tokens.
#include "tokenizer/loaders.h"

#include "common/error.h"
#include "common/json_input.h"

namespace bertft {

void fail_line(const std::string& origin, size_t line, const std::string& problem) {
  fail_file(origin + ":" + std::to_string(line), problem);
}

int32_t read_token_id(const JsonField& id, size_t token_count) {
  const int64_t value = id.as_int(0, kMaxTokenId);
  if (static_cast<size_t>(value) >= token_count)
    id.fail("id " + std::to_string(value) + " is not below " + std::to_string(token_count) +
            ", the number of tokens in the file");
  return static_cast<int32_t>(value);
}

int32_t special_token_id(const TokenizerData& data, const std::string& origin, const std::string& role,
                         const std::optional<std::string>& name) {
  if (!name) fail_file(origin, role + " is null in tokenizer_config.json but the tokenizer needs it");
  int32_t id = data.vocab_token_to_id(*name);
  for (const AddedToken& token : data.added_tokens)
    if (id < 0 && token.content == *name) id = token.id;
  if (id < 0) fail_file(origin, role + " " + single_quoted(*name) + " is not in the vocabulary");
  return id;
}

}  // namespace bertft
