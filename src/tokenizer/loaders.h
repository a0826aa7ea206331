#pragma once
// The on-disk formats, each parsed into a finished TokenizerData. `config_text` is
// tokenizer_config.json ("" when there is none), named `config_origin` in errors.
#include <memory>
#include <string>
#include <string_view>

#include "tokenizer/tokenizer_config.h"
#include "tokenizer/tokenizer_data.h"

namespace bertft {

class JsonField;

// Throws Error("origin:line: problem").
[[noreturn]] void fail_line(const std::string& origin, size_t line, const std::string& problem);

// A token id from a JSON file, below the number of tokens the files define: id_to_token has a slot
// for every id up to the highest, which must not let a file of a few tokens claim millions of slots.
int32_t read_token_id(const JsonField& id, size_t token_count);

// The id of the special token tokenizer_config.json names for `role` (unk_token, cls_token, ...):
// a vocabulary token or one of data.added_tokens. Throws Error naming `origin` when the name is
// null or unknown.
int32_t special_token_id(const TokenizerData& data, const std::string& origin, const std::string& role,
                         const std::optional<std::string>& name);

// tokenizer.json (the `tokenizers` library's format). From tokenizer_config.json only
// model_max_length and the pad and mask tokens matter here; the file itself defines the rest.
std::unique_ptr<TokenizerData> load_tokenizer_json(std::string_view json, const std::string& origin,
                                                   std::string_view config_text, const std::string& config_origin);

// vocab.txt (one token per line, id = line number - 1), configured as transformers'
// BertTokenizerFast converts a slow BertTokenizer.
std::unique_ptr<TokenizerData> load_vocab_txt(std::string_view vocab, const std::string& origin,
                                              std::string_view config_text, const std::string& config_origin);

// vocab.json ({"token": id, ...}) + merges.txt ("left right" per line, after an optional
// "#version" line), configured as transformers' RobertaTokenizerFast converts a slow
// RobertaTokenizer: byte-level BPE, <s> A </s></s> B </s>, <mask> taking the whitespace before it.
std::unique_ptr<TokenizerData> load_vocab_json(std::string_view vocab, const std::string& vocab_origin,
                                               std::string_view merges, const std::string& merges_origin,
                                               std::string_view config_text, const std::string& config_origin);

}  // namespace bertft
