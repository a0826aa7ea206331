#include "tokenizer/tokenizer_data.h"

#include "common/error.h"
#include "common/json_input.h"
#include "tokenizer/pre_tokenizer.h"

namespace bertft {
namespace {

void set_token(std::vector<std::string>& id_to_token, int32_t id, std::string_view token) {
  if (static_cast<size_t>(id) >= id_to_token.size()) id_to_token.resize(static_cast<size_t>(id) + 1);
  id_to_token[static_cast<size_t>(id)] = token;
}

}  // namespace

std::string TokenizerData::add_vocab_token(std::string_view token, int32_t id) {
  if (token.size() > TokenIndex::kMaxKeyBytes)
    return "token of " + std::to_string(token.size()) + " bytes, more than bertft supports (" +
           std::to_string(TokenIndex::kMaxKeyBytes) + ")";
  if (wordpiece.token_to_id(token) >= 0) return "duplicate token " + single_quoted(token);
  if (static_cast<size_t>(id) < id_to_token.size() && !id_to_token[static_cast<size_t>(id)].empty())
    return "id " + std::to_string(id) + " is used by both " + single_quoted(id_to_token[static_cast<size_t>(id)]) +
           " and " + single_quoted(token);
  wordpiece.add(token, id);
  set_token(id_to_token, id, token);
  return "";
}

void TokenizerData::finish(const std::string& origin, const std::optional<std::string>& pad_token) {
  this->origin = origin;
  for (const AddedToken& t : added_tokens) {
    if (t.content.empty()) continue;  // Rust ignores these too
    if (t.normalized) {
      std::string pattern;
      normalizer.normalize(t.content, pattern);
      normalized_added.add(pattern, t.id, t.single_word);
    } else {
      raw_added.add(t.content, t.id, t.single_word);
    }
    added_ids.insert(t.content, t.id);
    set_token(id_to_token, t.id, t.content);
  }

  if (!pad_token) fail_file(origin, "no pad token (pad_token is null)");
  pad_id = token_to_id(*pad_token);
  if (pad_id < 0)
    fail_file(origin, "pad token " + single_quoted(*pad_token) + " is neither in the vocabulary nor an added token");

  for (const Template* t : {&single, &pair})
    for (const TemplatePart& part : *t)
      for (int32_t id : part.ids)
        if (static_cast<size_t>(id) >= id_to_token.size() || id_to_token[static_cast<size_t>(id)].empty())
          fail_file(origin, "post_processor: special token id " + std::to_string(id) + " has no token");
}

int32_t TokenizerData::token_to_id(std::string_view token) const {
  int32_t id = added_ids.find(token);
  return id >= 0 ? id : wordpiece.token_to_id(token);
}

void TokenizerData::tokenize(std::string_view text, std::vector<int32_t>& ids) const {
  auto words = [&](std::string_view normalized) {
    pre_tokenize(normalized, [&](std::string_view word) { wordpiece.tokenize(word, ids); });
  };
  std::string normalized;
  raw_added.split(text, [&](std::string_view piece, int32_t added_id) {
    if (added_id >= 0) {
      ids.push_back(added_id);
      return;
    }
    normalized.clear();
    normalizer.normalize(piece, normalized);
    if (normalized_added.empty()) {
      words(normalized);
      return;
    }
    normalized_added.split(normalized, [&](std::string_view part, int32_t id) {
      if (id >= 0)
        ids.push_back(id);
      else
        words(part);
    });
  });
}

}  // namespace bertft
