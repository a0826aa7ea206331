#include <cstdint>
#include <map>

#include "common/json_input.h"
#include "tokenizer/loaders.h"

namespace bertft {
namespace {

// A token id, below the number of tokens the file defines: id_to_token has a slot for every id up to
// the highest, which must not let a file of a few tokens claim millions of slots.
int32_t token_id(const JsonField& id, size_t token_count) {
  const int64_t value = id.as_int(0, kMaxTokenId);
  if (static_cast<size_t>(value) >= token_count)
    id.fail("id " + std::to_string(value) + " is not below " + std::to_string(token_count) +
            ", the number of tokens in the file");
  return static_cast<int32_t>(value);
}

// `added_count`: the entries of added_tokens, which may take ids beyond the vocabulary.
void read_model(const JsonField& model, size_t added_count, TokenizerData& data) {
  model.as_object();
  std::string type = model["type"].string_or("WordPiece");
  if (type != "WordPiece") model["type"].fail("unsupported model type " + single_quoted(type) + " (bertft supports WordPiece)");
  const int64_t max_chars = model["max_input_chars_per_word"].int_or(100, 0, WordPiece::kMaxInputCharsPerWord);
  data.wordpiece = WordPiece(model["continuing_subword_prefix"].string_or("##"), static_cast<size_t>(max_chars));
  JsonField vocab = model["vocab"];
  if (vocab.as_object().empty()) vocab.fail("empty vocabulary");
  const size_t token_count = vocab.as_object().size() + added_count;
  for (const auto& [token, id] : vocab.as_object().items()) {
    JsonField entry = vocab.entry(token, id);
    std::string problem = data.add_vocab_token(token, token_id(entry, token_count));
    if (!problem.empty()) entry.fail(problem);
  }
  std::string unk = model["unk_token"].string_or("[UNK]");
  int32_t unk_id = data.wordpiece.token_to_id(unk);
  if (unk_id < 0) model["unk_token"].fail(single_quoted(unk) + " is not in model.vocab");
  data.wordpiece.set_unk_id(unk_id);
}

void read_normalizer(const JsonField& normalizer, TokenizerData& data) {
  if (normalizer.absent()) {
    data.normalizer = BertNormalizer(false, false, false, false);
    return;
  }
  std::string type = normalizer["type"].as_string();
  if (type != "BertNormalizer")
    normalizer["type"].fail("unsupported normalizer " + single_quoted(type) + " (bertft supports BertNormalizer)");
  bool lowercase = normalizer["lowercase"].bool_or(true);
  // null strip_accents means "strip when lowercasing".
  bool strip_accents = normalizer["strip_accents"].bool_or(lowercase);
  data.normalizer = BertNormalizer(normalizer["clean_text"].bool_or(true),
                                   normalizer["handle_chinese_chars"].bool_or(true), strip_accents, lowercase);
}

// TemplateProcessing: {"single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
// {"Sequence": {"id": "A", "type_id": 0}}, ...], "pair": [...], "special_tokens": {"[CLS]":
// {"ids": [101], ...}}}.
Template read_template(const JsonField& post, const char* key) {
  JsonField items = post[key];
  JsonField specials = post["special_tokens"];
  Template t;
  for (size_t i = 0; i < items.as_array().size(); ++i) {
    JsonField item = items[i];
    item.as_object();
    TemplatePart part;
    if (!item["SpecialToken"].absent()) {
      JsonField special = item["SpecialToken"];
      const std::string& name = special["id"].as_string();
      if (specials[name].absent()) special["id"].fail(single_quoted(name) + " is not in post_processor.special_tokens");
      JsonField ids = specials[name]["ids"];
      for (size_t k = 0; k < ids.as_array().size(); ++k)
        part.ids.push_back(static_cast<int32_t>(ids[k].as_int(0, kMaxTokenId)));
      part.type_id = static_cast<int32_t>(special["type_id"].int_or(0, 0, INT32_MAX));
    } else if (!item["Sequence"].absent()) {
      JsonField sequence = item["Sequence"];
      const std::string& id = sequence["id"].as_string();
      if (id != "A" && id != "B") sequence["id"].fail("expected \"A\" or \"B\"");
      part.kind = id == "A" ? TemplatePart::kSequenceA : TemplatePart::kSequenceB;
      part.type_id = static_cast<int32_t>(sequence["type_id"].int_or(0, 0, INT32_MAX));
    } else {
      item.fail("expected a SpecialToken or a Sequence");
    }
    t.push_back(std::move(part));
  }
  return t;
}

// BertProcessing: {"cls": ["[CLS]", 101], "sep": ["[SEP]", 102]}.
int32_t processing_token_id(const JsonField& token) {
  if (token.as_array().size() != 2) token.fail("expected [token, id]");
  token[0].as_string();
  return static_cast<int32_t>(token[1].as_int(0, kMaxTokenId));
}

void read_post_processor(const JsonField& post, TokenizerData& data) {
  if (post.absent()) return;  // no special tokens at all
  std::string type = post["type"].as_string();
  if (type == "TemplateProcessing") {
    data.single = read_template(post, "single");
    data.pair = read_template(post, "pair");
  } else if (type == "BertProcessing") {
    int32_t cls = processing_token_id(post["cls"]), sep = processing_token_id(post["sep"]);
    using P = TemplatePart;
    data.single = {{P::kSpecial, 0, {cls}}, {P::kSequenceA, 0, {}}, {P::kSpecial, 0, {sep}}};
    data.pair = data.single;
    data.pair.push_back({P::kSequenceB, 1, {}});
    data.pair.push_back({P::kSpecial, 1, {sep}});
  } else {
    post["type"].fail("unsupported post_processor " + single_quoted(type) +
                      " (bertft supports TemplateProcessing and BertProcessing)");
  }
}

}  // namespace

std::unique_ptr<TokenizerData> load_tokenizer_json(std::string_view text, const std::string& origin,
                                                   const TokenizerConfig& config) {
  nlohmann::json json = parse_json_object(text, origin);
  JsonField root(json, origin);
  auto data = std::make_unique<TokenizerData>();
  JsonField added = root["added_tokens"];
  const size_t added_count = added.absent() ? 0 : added.as_array().size();
  read_model(root["model"], added_count, *data);
  read_normalizer(root["normalizer"], *data);
  JsonField pre = root["pre_tokenizer"];
  std::string pre_type = pre.absent() ? "none" : pre["type"].as_string();
  if (pre_type != "BertPreTokenizer")
    pre.fail("unsupported pre_tokenizer " + single_quoted(pre_type) + " (bertft supports BertPreTokenizer)");
  read_post_processor(root["post_processor"], *data);
  for (size_t i = 0; i < added_count; ++i) {
    JsonField item = added[i];
    data->added_tokens.push_back(read_added_token(item, token_id(item["id"], data->wordpiece.size() + added_count)));
  }
  data->model_max_length = config.model_max_length;
  data->finish(origin, config.special.pad);
  return data;
}

}  // namespace bertft
