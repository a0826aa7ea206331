#include <algorithm>
#include <cstdint>

#include "common/error.h"
#include "common/json_input.h"
#include "tokenizer/loaders.h"
#include "tokenizer/utf8.h"

namespace bertft {
namespace {

// {"token": id, ...}; `added_count` tokens more (added_tokens_decoder) may take ids beyond it.
void read_vocab(std::string_view text, const std::string& origin, size_t added_count, TokenizerData& data) {
  const nlohmann::json json = parse_json_object(text, origin);
  const JsonField root(json, origin);
  if (json.empty()) root.fail("empty vocabulary");
  const size_t token_count = json.size() + added_count;
  for (const auto& [token, id] : json.items()) {
    JsonField entry = root.entry(token, id);
    if (std::string problem = data.add_vocab_token(token, read_token_id(entry, token_count)); !problem.empty())
      entry.fail(problem);
  }
}

// One merge per line, "left right" (one space), as Rust's BPE::read_file reads them: lines end at
// "\n" or "\r\n", and a first line starting with "#version" is skipped. (The slow RobertaTokenizer
// drops the first and last lines unread, which only differs for files Rust rejects or a last merge
// without a newline, which Rust and we keep.)
void read_merges(std::string_view text, const std::string& origin, Bpe& bpe) {
  size_t line = 0;
  for (size_t begin = 0; begin < text.size();) {
    size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    std::string_view merge = text.substr(begin, end - begin);
    begin = end + 1;
    ++line;
    if (!merge.empty() && merge.back() == '\r') merge.remove_suffix(1);
    if (line == 1 && merge.starts_with("#version")) continue;
    if (!utf8::is_valid(merge)) fail_line(origin, line, "invalid UTF-8");
    const size_t space = merge.find(' ');
    if (space == std::string_view::npos || merge.find(' ', space + 1) != std::string_view::npos)
      fail_line(origin, line, "expected two tokens separated by one space, got " + single_quoted(merge));
    if (std::string problem = bpe.add_merge(merge.substr(0, space), merge.substr(space + 1)); !problem.empty())
      fail_line(origin, line, problem);
  }
}

}  // namespace

std::unique_ptr<TokenizerData> load_vocab_json(std::string_view vocab, const std::string& vocab_origin,
                                               std::string_view merges, const std::string& merges_origin,
                                               std::string_view config_text, const std::string& config_origin) {
  const TokenizerConfig config = parse_tokenizer_config(config_text, config_origin, roberta_special_tokens());
  auto data = std::make_unique<TokenizerData>();
  data->model = ModelKind::kBpe;
  read_vocab(vocab, vocab_origin, config.added_tokens_decoder.size(), *data);
  read_merges(merges, merges_origin, data->bpe);
  data->bpe.finish();  // RobertaConverter gives the model no unk token
  data->byte_level.add_prefix_space = config.add_prefix_space;

  // id_to_token has a slot for every id up to the highest: no id may claim more slots than there are tokens.
  const size_t token_count = data->vocab_count() + config.added_tokens_decoder.size();
  for (const AddedToken& token : config.added_tokens_decoder) {
    if (static_cast<size_t>(token.id) >= token_count)
      fail_file(vocab_origin, "added token id " + std::to_string(token.id) + " is not below " +
                                  std::to_string(token_count) + ", the number of tokens here and in added_tokens_decoder");
    data->added_tokens.push_back(token);
  }
  // The special tokens become added tokens too (each content once, added_tokens_decoder's first):
  // special and unnormalized, the mask token taking the whitespace before it (RobertaTokenizer's
  // lstrip=True), or with the flags the config writes for them.
  const SpecialTokenNames& names = config.special;
  std::vector<std::pair<std::string, std::optional<std::string>>> specials = {
      {"bos_token", names.bos}, {"eos_token", names.eos}, {"unk_token", names.unk}, {"sep_token", names.sep},
      {"pad_token", names.pad}, {"cls_token", names.cls}, {"mask_token", names.mask}};
  for (const std::string& name : names.additional) specials.emplace_back("additional_special_tokens", name);
  for (const auto& special : specials) {
    const std::string& role = special.first;
    const std::optional<std::string>& name = special.second;  // not a structured binding: the lambda uses it
    if (!name || std::any_of(data->added_tokens.begin(), data->added_tokens.end(),
                             [&](const AddedToken& t) { return t.content == *name; }))
      continue;
    AddedToken token;
    token.content = *name;
    token.lstrip = role == "mask_token";
    for (const AddedToken& object : config.special_token_objects)
      if (object.content == *name) token = object;
    token.id = special_token_id(*data, vocab_origin, role, name);
    token.special = true;
    data->added_tokens.push_back(token);
  }
  data->set_roberta_templates(special_token_id(*data, vocab_origin, "cls_token", names.cls),
                              special_token_id(*data, vocab_origin, "sep_token", names.sep));
  data->model_max_length = config.model_max_length;
  data->finish(vocab_origin, names);
  return data;
}

}  // namespace bertft
