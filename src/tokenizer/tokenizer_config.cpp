#include "tokenizer/tokenizer_config.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "common/json_input.h"
#include "tokenizer/token_index.h"

namespace bertft {
namespace {

// A special token is a string or an AddedToken object {"content": ...}; null disables it and an
// absent key keeps the default.
void read_token_name(const JsonField& root, const char* key, std::optional<std::string>& name,
                     std::vector<AddedToken>& objects) {
  if (!root.value().contains(key)) return;
  JsonField field = root[key];
  if (field.absent()) {
    name.reset();
  } else if (field.value().is_object()) {
    objects.push_back(read_added_token(field, -1));
    name = objects.back().content;
  } else {
    name = field.as_string();
  }
}

}  // namespace

AddedToken read_added_token(const JsonField& field, int32_t id) {
  AddedToken token;
  token.id = id;
  token.content = field["content"].as_string();
  if (token.content.size() > TokenIndex::kMaxKeyBytes)
    field["content"].fail(std::to_string(token.content.size()) + " bytes, more than bertft supports (" +
                          std::to_string(TokenIndex::kMaxKeyBytes) + ")");
  token.special = field["special"].bool_or(false);
  token.normalized = field["normalized"].bool_or(!token.special);
  token.single_word = field["single_word"].bool_or(false);
  token.lstrip = field["lstrip"].bool_or(false);
  token.rstrip = field["rstrip"].bool_or(false);
  return token;
}

TokenizerConfig parse_tokenizer_config(std::string_view text, const std::string& origin,
                                       const SpecialTokenNames& special) {
  TokenizerConfig config;
  config.special = special;
  if (text.empty()) return config;
  nlohmann::json json = parse_json_object(text, origin);
  JsonField root(json, origin);

  config.do_lower_case = root["do_lower_case"].bool_or(true);
  if (!root["strip_accents"].absent()) config.strip_accents = root["strip_accents"].as_bool();
  config.tokenize_chinese_chars = root["tokenize_chinese_chars"].bool_or(true);

  SpecialTokenNames& names = config.special;
  read_token_name(root, "unk_token", names.unk, config.special_token_objects);
  read_token_name(root, "sep_token", names.sep, config.special_token_objects);
  read_token_name(root, "pad_token", names.pad, config.special_token_objects);
  read_token_name(root, "cls_token", names.cls, config.special_token_objects);
  read_token_name(root, "mask_token", names.mask, config.special_token_objects);
  read_token_name(root, "bos_token", names.bos, config.special_token_objects);
  read_token_name(root, "eos_token", names.eos, config.special_token_objects);
  config.add_prefix_space = root["add_prefix_space"].bool_or(false);
  JsonField additional = root["additional_special_tokens"];
  if (!additional.absent()) {
    for (size_t i = 0; i < additional.as_array().size(); ++i) {
      JsonField item = additional[i];
      names.additional.push_back(item.value().is_object() ? item["content"].as_string() : item.as_string());
    }
  }

  JsonField decoder = root["added_tokens_decoder"];
  if (!decoder.absent()) {
    for (const auto& [key, value] : decoder.as_object().items()) {
      JsonField entry = decoder.entry(key, value);
      char* end = nullptr;
      long id = std::strtol(key.c_str(), &end, 10);
      if (key.empty() || *end != '\0' || id < 0 || id > INT32_MAX) entry.fail("key must be a token id");
      config.added_tokens_decoder.push_back(read_added_token(entry, static_cast<int32_t>(id)));
    }
  }

  JsonField max_length = root["model_max_length"];
  if (!max_length.absent()) {
    if (!max_length.value().is_number()) max_length.fail("expected a number");
    double v = max_length.value().get<double>();
    // transformers writes int(1e30) when a model sets no limit.
    if (v < 1e15) {
      if (v < 1 || v != std::floor(v)) max_length.fail("must be a positive integer");
      config.model_max_length = static_cast<size_t>(v);
    }
  }
  return config;
}

}  // namespace bertft
