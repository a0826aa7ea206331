#pragma once
// The two on-disk formats, each parsed into a finished TokenizerData.
#include <memory>
#include <string>
#include <string_view>

#include "tokenizer/tokenizer_config.h"
#include "tokenizer/tokenizer_data.h"

namespace bertft {

// tokenizer.json (the `tokenizers` library's format). From tokenizer_config.json only
// model_max_length and pad_token matter here; the file itself defines the rest.
std::unique_ptr<TokenizerData> load_tokenizer_json(std::string_view json, const std::string& origin,
                                                   const TokenizerConfig& config);

// vocab.txt (one token per line, id = line number - 1), configured as transformers'
// BertTokenizerFast converts a slow BertTokenizer.
std::unique_ptr<TokenizerData> load_vocab_txt(std::string_view vocab, const std::string& origin,
                                              const TokenizerConfig& config);

}  // namespace bertft
