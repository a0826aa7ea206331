#pragma once
// tokenizer_config.json, as transformers' BertTokenizer and RobertaTokenizer read it. Absent keys keep
// the defaults.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/added_tokens.h"

namespace bertft {

struct SpecialTokenNames {
  // std::nullopt where the config sets the token to null; BertTokenizer's defaults.
  std::optional<std::string> unk = "[UNK]", sep = "[SEP]", pad = "[PAD]", cls = "[CLS]",
                             mask = "[MASK]";
  std::optional<std::string> bos, eos;
  std::vector<std::string> additional;
};

// RobertaTokenizer's defaults.
inline SpecialTokenNames roberta_special_tokens() {
  return {.unk = "<unk>", .sep = "</s>", .pad = "<pad>", .cls = "<s>", .mask = "<mask>", .bos = "<s>", .eos = "</s>",
          .additional = {}};
}

struct TokenizerConfig {
  bool do_lower_case = true;
  std::optional<bool> strip_accents;  // null: same as do_lower_case
  bool tokenize_chinese_chars = true;
  SpecialTokenNames special;
  // Special tokens the config writes as AddedToken objects, with their flags (id -1).
  std::vector<AddedToken> special_token_objects;
  bool add_prefix_space = false;  // RobertaTokenizer's
  std::vector<AddedToken> added_tokens_decoder;
  size_t model_max_length = 0;  // 0: not set (or transformers' "unlimited" sentinel, 1e30)
};

class JsonField;
// An added token as tokenizer.json's added_tokens and tokenizer_config.json's
// added_tokens_decoder store it ({"content", "special", "normalized", "single_word", ...}).
// `normalized` defaults to !special, as in both libraries.
AddedToken read_added_token(const JsonField& field, int32_t id);

// Empty text: the defaults (no tokenizer_config.json). `special` gives the special tokens' defaults.
TokenizerConfig parse_tokenizer_config(std::string_view text, const std::string& origin,
                                       const SpecialTokenNames& special = {});

}  // namespace bertft
