#include <cstdint>
#include <map>

#include "common/json_input.h"
#include "tokenizer/loaders.h"

namespace bertft {
namespace {

// Options of Rust's BPE that bertft does not implement are refused, not ignored: each changes the ids.
void refuse_bpe_option(const JsonField& field, bool is_set, const std::string& what) {
  if (is_set) field.fail("unsupported: " + what + " (bertft supports byte-level BPE as RoBERTa and GPT-2 use it)");
}

// {"a b", ...} or, as tokenizers >= 0.20 writes them, {["a", "b"], ...}.
void read_merges(const JsonField& merges, Bpe& bpe) {
  for (size_t i = 0; i < merges.as_array().size(); ++i) {
    JsonField item = merges[i];
    std::string_view left, right;
    if (item.value().is_array()) {
      if (item.as_array().size() != 2) item.fail("expected [left, right]");
      left = item[0].as_string(), right = item[1].as_string();
    } else {
      std::string_view merge = item.as_string();
      size_t space = merge.find(' ');
      if (space == std::string_view::npos || merge.find(' ', space + 1) != std::string_view::npos)
        item.fail("expected two tokens separated by one space, got " + single_quoted(merge));
      left = merge.substr(0, space), right = merge.substr(space + 1);
    }
    if (std::string problem = bpe.add_merge(left, right); !problem.empty()) item.fail(problem);
  }
}

void read_bpe(const JsonField& model, TokenizerData& data) {
  const JsonField dropout = model["dropout"];
  refuse_bpe_option(dropout, !dropout.absent() && !(dropout.value().is_number() && dropout.value() == 0),
                    "BPE dropout");
  for (const char* affix : {"continuing_subword_prefix", "end_of_word_suffix"})
    refuse_bpe_option(model[affix], !model[affix].string_or("").empty(), affix);
  refuse_bpe_option(model["byte_fallback"], model["byte_fallback"].bool_or(false), "byte_fallback");
  refuse_bpe_option(model["ignore_merges"], model["ignore_merges"].bool_or(false), "ignore_merges");
  read_merges(model["merges"], data.bpe);
  int32_t unk_id = -1;
  if (!model["unk_token"].absent()) {
    const std::string& unk = model["unk_token"].as_string();
    unk_id = data.bpe.token_to_id(unk);
    if (unk_id < 0) model["unk_token"].fail(single_quoted(unk) + " is not in model.vocab");
  }
  data.bpe.set_unk(unk_id, model["fuse_unk"].bool_or(false));
  data.bpe.finish();
}

// `added_count`: the entries of added_tokens, which may take ids beyond the vocabulary.
void read_model(const JsonField& model, size_t added_count, TokenizerData& data) {
  model.as_object();
  // Files written by older tokenizers have no type: as in Rust (and tokenizers.js), BPE is the
  // model with merges.
  std::string type = model["type"].string_or(model["merges"].absent() ? "WordPiece" : "BPE");
  if (type == "WordPiece") {
    const int64_t max_chars = model["max_input_chars_per_word"].int_or(100, 0, WordPiece::kMaxInputCharsPerWord);
    data.wordpiece = WordPiece(model["continuing_subword_prefix"].string_or("##"), static_cast<size_t>(max_chars));
  } else if (type == "BPE") {
    data.model = ModelKind::kBpe;
  } else {
    model["type"].fail("unsupported model type " + single_quoted(type) + " (bertft supports WordPiece and BPE)");
  }
  JsonField vocab = model["vocab"];
  if (vocab.as_object().empty()) vocab.fail("empty vocabulary");
  const size_t token_count = vocab.as_object().size() + added_count;
  for (const auto& [token, id] : vocab.as_object().items()) {
    JsonField entry = vocab.entry(token, id);
    std::string problem = data.add_vocab_token(token, read_token_id(entry, token_count));
    if (!problem.empty()) entry.fail(problem);
  }
  if (data.model == ModelKind::kBpe) {
    read_bpe(model, data);
    return;
  }
  std::string unk = model["unk_token"].string_or("[UNK]");
  int32_t unk_id = data.wordpiece.token_to_id(unk);
  if (unk_id < 0) model["unk_token"].fail(single_quoted(unk) + " is not in model.vocab");
  data.wordpiece.set_unk_id(unk_id);
}

void read_normalizer(const JsonField& normalizer, TokenizerData& data) {
  if (normalizer.absent()) return;
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

// BertProcessing and RobertaProcessing: {"cls": ["[CLS]", 101], "sep": ["[SEP]", 102], ...}.
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
    data.set_bert_templates(processing_token_id(post["cls"]), processing_token_id(post["sep"]));
  } else if (type == "RobertaProcessing") {
    data.set_roberta_templates(processing_token_id(post["cls"]), processing_token_id(post["sep"]));
  } else if (type != "ByteLevel") {  // ByteLevel only trims offsets: no special tokens
    post["type"].fail("unsupported post_processor " + single_quoted(type) +
                      " (bertft supports TemplateProcessing, BertProcessing, RobertaProcessing and ByteLevel)");
  }
}

// WordPiece takes BertPreTokenizer's words, BPE ByteLevel's splits.
void read_pre_tokenizer(const JsonField& pre, TokenizerData& data) {
  std::string type = pre.absent() ? "none" : pre["type"].as_string();
  const bool bpe = data.model == ModelKind::kBpe;
  if (type != (bpe ? "ByteLevel" : "BertPreTokenizer"))
    pre.fail("unsupported pre_tokenizer " + single_quoted(type) + " for " + (bpe ? "BPE" : "WordPiece") +
             " (bertft supports WordPiece with BertPreTokenizer, BPE with ByteLevel)");
  if (!bpe) return;
  data.byte_level.add_prefix_space = pre["add_prefix_space"].as_bool();
  data.byte_level.use_regex = pre["use_regex"].bool_or(true);
}

}  // namespace

std::unique_ptr<TokenizerData> load_tokenizer_json(std::string_view text, const std::string& origin,
                                                   std::string_view config_text, const std::string& config_origin) {
  nlohmann::json json = parse_json_object(text, origin);
  JsonField root(json, origin);
  auto data = std::make_unique<TokenizerData>();
  JsonField added = root["added_tokens"];
  const size_t added_count = added.absent() ? 0 : added.as_array().size();
  read_model(root["model"], added_count, *data);
  read_normalizer(root["normalizer"], *data);
  read_pre_tokenizer(root["pre_tokenizer"], *data);
  read_post_processor(root["post_processor"], *data);
  for (size_t i = 0; i < added_count; ++i) {
    JsonField item = added[i];
    data->added_tokens.push_back(read_added_token(item, read_token_id(item["id"], data->vocab_count() + added_count)));
  }
  // The special tokens' defaults are those of the tokenizer class the model type implies.
  const TokenizerConfig config = parse_tokenizer_config(
      config_text, config_origin, data->model == ModelKind::kBpe ? roberta_special_tokens() : SpecialTokenNames{});
  data->model_max_length = config.model_max_length;
  data->finish(origin, config.special);
  return data;
}

}  // namespace bertft
