#include <cstdint>

#include "common/error.h"
#include "common/json_input.h"
#include "tokenizer/loaders.h"
#include "tokenizer/utf8.h"

namespace bertft {

std::unique_ptr<TokenizerData> load_vocab_txt(std::string_view vocab, const std::string& origin,
                                              std::string_view config_text, const std::string& config_origin) {
  const TokenizerConfig config = parse_tokenizer_config(config_text, config_origin);
  auto data = std::make_unique<TokenizerData>();
  data->wordpiece = WordPiece("##", 100);
  // transformers' load_vocab: one token per line, the line number is the id, only "\n" ends a line.
  // An empty line is an (unmatchable) empty token that still takes its id, as there.
  size_t line = 0;
  for (size_t begin = 0; begin < vocab.size(); ++line) {
    size_t end = vocab.find('\n', begin);
    if (end == std::string_view::npos) end = vocab.size();
    std::string_view token = vocab.substr(begin, end - begin);
    begin = end + 1;
    size_t number = line + 1;
    if (!token.empty() && token.back() == '\r') fail_line(origin, number, "token ends in \\r (CRLF line endings?)");
    if (!utf8::is_valid(token)) fail_line(origin, number, "invalid UTF-8");
    if (line > static_cast<size_t>(kMaxTokenId)) fail_line(origin, number, "too many tokens");
    int32_t existing = data->wordpiece.token_to_id(token);
    if (existing >= 0)
      fail_line(origin, number, "duplicate token " + single_quoted(token) + " (first on line " + std::to_string(existing + 1) + ")");
    if (std::string problem = data->add_vocab_token(token, static_cast<int32_t>(line)); !problem.empty())
      fail_line(origin, number, problem);
  }
  if (line == 0) fail_file(origin, "empty vocabulary");

  bool lowercase = config.do_lower_case;
  data->normalizer = BertNormalizer(true, config.tokenize_chinese_chars, config.strip_accents.value_or(lowercase),
                                    lowercase);
  const SpecialTokenNames& names = config.special;
  data->wordpiece.set_unk_id(special_token_id(*data, origin, "unk_token", names.unk));
  int32_t cls = special_token_id(*data, origin, "cls_token", names.cls);
  int32_t sep = special_token_id(*data, origin, "sep_token", names.sep);
  special_token_id(*data, origin, "pad_token", names.pad);
  data->set_bert_templates(cls, sep);

  // The special tokens become unnormalized added tokens, as in BertTokenizerFast.
  std::vector<std::pair<std::string, std::optional<std::string>>> specials = {
      {"unk_token", names.unk}, {"sep_token", names.sep}, {"pad_token", names.pad},
      {"cls_token", names.cls}, {"mask_token", names.mask}};
  for (const std::string& name : names.additional) specials.emplace_back("additional_special_tokens", name);
  for (const auto& [role, name] : specials) {
    if (!name) continue;
    AddedToken token;
    token.content = *name;
    token.id = special_token_id(*data, origin, role, name);
    token.special = true;
    data->added_tokens.push_back(token);
  }
  // id_to_token has a slot for every id up to the highest: no id may claim more slots than there are tokens.
  const size_t token_count = line + config.added_tokens_decoder.size();
  for (const AddedToken& token : config.added_tokens_decoder) {
    if (static_cast<size_t>(token.id) >= token_count)
      fail_file(origin, "added token id " + std::to_string(token.id) + " is not below " + std::to_string(token_count) +
                            ", the number of tokens here and in added_tokens_decoder");
    data->added_tokens.push_back(token);
  }
  data->model_max_length = config.model_max_length;
  data->finish(origin, names);
  return data;
}

}  // namespace bertft
