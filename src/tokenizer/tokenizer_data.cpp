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

void TokenizerData::set_bert_templates(int32_t cls, int32_t sep) {
  using P = TemplatePart;
  single = {{P::kSpecial, 0, {cls}}, {P::kSequenceA, 0, {}}, {P::kSpecial, 0, {sep}}};
  pair = single;
  pair.push_back({P::kSequenceB, 1, {}});
  pair.push_back({P::kSpecial, 1, {sep}});
}

void TokenizerData::set_roberta_templates(int32_t cls, int32_t sep) {
  using P = TemplatePart;
  single = {{P::kSpecial, 0, {cls}}, {P::kSequenceA, 0, {}}, {P::kSpecial, 0, {sep}}};
  pair = single;
  pair.push_back({P::kSpecial, 0, {sep}});
  pair.push_back({P::kSequenceB, 0, {}});
  pair.push_back({P::kSpecial, 0, {sep}});
}

std::string TokenizerData::add_vocab_token(std::string_view token, int32_t id) {
  if (token.size() > TokenIndex::kMaxKeyBytes)
    return "token of " + std::to_string(token.size()) + " bytes, more than bertft supports (" +
           std::to_string(TokenIndex::kMaxKeyBytes) + ")";
  if (vocab_token_to_id(token) >= 0) return "duplicate token " + single_quoted(token);
  if (static_cast<size_t>(id) < id_to_token.size() && !id_to_token[static_cast<size_t>(id)].empty())
    return "id " + std::to_string(id) + " is used by both " + single_quoted(id_to_token[static_cast<size_t>(id)]) +
           " and " + single_quoted(token);
  if (model == ModelKind::kWordPiece)
    wordpiece.add(token, id);
  else
    bpe.add(token, id);
  set_token(id_to_token, id, token);
  return "";
}

void TokenizerData::finish(const std::string& origin, const SpecialTokenNames& names) {
  this->origin = origin;
  for (const AddedToken& t : added_tokens) {
    if (t.content.empty()) continue;  // Rust ignores these too
    // Without a normalizer, normalized tokens are still matched second, in what the others leave.
    if (t.normalized) {
      std::string pattern;
      if (normalizer)
        normalizer->normalize(t.content, pattern);
      else
        pattern = t.content;
      normalized_added.add(pattern, t);
    } else {
      raw_added.add(t.content, t);
    }
    added_ids.insert(t.content, t.id);
    set_token(id_to_token, t.id, t.content);
  }
  special_ids.assign(id_to_token.size(), 0);
  for (const AddedToken& t : added_tokens)
    if (t.special && !t.content.empty()) special_ids[static_cast<size_t>(t.id)] = 1;

  if (!names.pad) fail_file(origin, "no pad token (pad_token is null)");
  pad_id = token_to_id(*names.pad);
  if (pad_id < 0)
    fail_file(origin, "pad token " + single_quoted(*names.pad) + " is neither in the vocabulary nor an added token");
  mask_id = names.mask ? token_to_id(*names.mask) : -1;

  for (const Template* t : {&single, &pair})
    for (const TemplatePart& part : *t)
      for (int32_t id : part.ids)
        if (static_cast<size_t>(id) >= id_to_token.size() || id_to_token[static_cast<size_t>(id)].empty())
          fail_file(origin, "post_processor: special token id " + std::to_string(id) + " has no token");
}

int32_t TokenizerData::token_to_id(std::string_view token) const {
  int32_t id = added_ids.find(token);
  return id >= 0 ? id : vocab_token_to_id(token);
}

int32_t TokenizerData::vocab_token_to_id(std::string_view token) const {
  return model == ModelKind::kWordPiece ? wordpiece.token_to_id(token) : bpe.token_to_id(token);
}

void TokenizerData::tokenize(std::string_view text, std::vector<int32_t>& ids) const {
  std::string prefixed;
  BpeScratch scratch;
  auto words = [&](std::string_view normalized) {
    if (model == ModelKind::kWordPiece) {
      pre_tokenize(normalized, [&](std::string_view word) { wordpiece.tokenize(word, ids); });
    } else if (!normalized.empty()) {  // Rust drops empty pieces before pre-tokenizing
      byte_level.pre_tokenize(normalized, prefixed,
                              [&](std::string_view split) { bpe.tokenize(split, ids, scratch); });
    }
  };
  std::string normalized;
  raw_added.split(text, [&](std::string_view piece, int32_t added_id) {
    if (added_id >= 0) {
      ids.push_back(added_id);
      return;
    }
    if (normalizer) {
      normalized.clear();
      normalizer->normalize(piece, normalized);
      piece = normalized;
    }
    if (normalized_added.empty()) {
      words(piece);
      return;
    }
    normalized_added.split(piece, [&](std::string_view part, int32_t id) {
      if (id >= 0)
        ids.push_back(id);
      else
        words(part);
    });
  });
}

}  // namespace bertft
