#pragma once
// What a loaded Tokenizer holds; filled by the loaders (load_*.cpp), used by tokenizer.cpp.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/added_tokens.h"
#include "tokenizer/bpe.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/token_index.h"
#include "tokenizer/tokenizer_config.h"
#include "tokenizer/wordpiece.h"

namespace bertft {

// One post-processor template (TemplateProcessing's "single" or "pair"): special tokens and the
// sequences A / B, each with its type id.
struct TemplatePart {
  enum Kind { kSpecial, kSequenceA, kSequenceB } kind = kSpecial;
  int32_t type_id = 0;
  std::vector<int32_t> ids;  // kSpecial only
};
using Template = std::vector<TemplatePart>;

// Largest token id bertft accepts: ids index a table, and real vocabularies stay far below this.
inline constexpr int32_t kMaxTokenId = (1 << 22) - 1;

// The two pipelines after the added tokens and the normalizer: BertPreTokenizer + WordPiece (BERT),
// or ByteLevel + BPE (RoBERTa, GPT-2).
enum class ModelKind { kWordPiece, kBpe };

struct TokenizerData {
  std::optional<BertNormalizer> normalizer;  // none: the text as it is
  ModelKind model = ModelKind::kWordPiece;   // set before the first add_vocab_token
  WordPiece wordpiece;
  ByteLevel byte_level;
  Bpe bpe;
  std::vector<AddedToken> added_tokens;
  Template single{{TemplatePart::kSequenceA, 0, {}}};
  Template pair{{TemplatePart::kSequenceA, 0, {}}, {TemplatePart::kSequenceB, 1, {}}};
  int32_t pad_id = -1;
  int32_t mask_id = -1;  // -1: no mask token
  size_t model_max_length = 0;
  std::string origin;  // the file read, for errors

  std::vector<std::string> id_to_token;  // "" where no token has the id

  // Built by finish() from the above.
  AddedTokenMatcher raw_added;         // matched in the input text
  AddedTokenMatcher normalized_added;  // matched in normalized text
  TokenIndex added_ids;
  std::vector<uint8_t> special_ids;  // [id]: 1 for an added token marked special

  // BertProcessing's [CLS] A [SEP] / [CLS] A [SEP] B [SEP], B's part with type id 1.
  void set_bert_templates(int32_t cls, int32_t sep);
  // RobertaProcessing's <s> A </s> / <s> A </s></s> B </s>, every type id 0 as in Rust (RoBERTa has
  // one token type). tokenizers.js differs: it gives </s> B </s> type id 1.
  void set_roberta_templates(int32_t cls, int32_t sep);

  // Adds a vocabulary entry to the model; returns the token already holding `id` (or `token`) as
  // an error message, or "" on success.
  std::string add_vocab_token(std::string_view token, int32_t id);
  // Builds the matchers, resolves the pad and mask tokens and checks that every id the
  // post-processor emits has a token. `origin` names the source, here and in later errors.
  void finish(const std::string& origin, const SpecialTokenNames& names);

  // Appends the ids of one sequence, without special tokens.
  void tokenize(std::string_view text, std::vector<int32_t>& ids) const;
  int32_t token_to_id(std::string_view token) const;
  // The model's own vocabulary, without added tokens.
  int32_t vocab_token_to_id(std::string_view token) const;
  size_t vocab_count() const { return model == ModelKind::kWordPiece ? wordpiece.size() : bpe.size(); }
};

}  // namespace bertft
