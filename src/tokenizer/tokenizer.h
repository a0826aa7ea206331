#pragma once
// Tokenizer with Hugging Face semantics, for the two families of BERT-like encoders:
//   - BERT (WordPiece): BertNormalizer -> BertPreTokenizer -> WordPiece -> [CLS] A [SEP] (B [SEP])
//     with segment ids 0 / 1;
//   - RoBERTa (byte-level BPE): ByteLevel pre-tokenizer (GPT-2's split pattern, bytes as characters,
//     byte_level.h) -> BPE merges by rank (bpe.h) -> <s> A </s> (</s> B </s>), every type id 0;
// both with added tokens split out first (special tokens written literally in the text, lstrip /
// rstrip / single_word / normalized flags), truncation longest-first.
//
// The reference is the Rust `tokenizers` library behind transformers' BertTokenizerFast and
// RobertaTokenizerFast. Where the JS port (@huggingface/tokenizers, our test oracle) disagrees with
// it, we follow Rust; each such case is documented where it is implemented (grep "tokenizers.js
// differs") and is the only thing the parity test tolerates:
//   - CJK ideographs outside the BMP are spaced (JS walks UTF-16 units and misses them), normalizer.cpp
//   - capital sigma always lowercases to σ (JS applies the Final_Sigma rule), normalizer.cpp
//   - an empty text_pair is still a pair: [CLS] A [SEP] [SEP], <s> A </s></s></s> (JS drops it),
//     tokenizer.cpp
//   - single_word added tokens only match whole words (JS ignores the flag), added_tokens.h
//   - with clean_text off, U+0085 splits words and U+FEFF does not (JS: the reverse), pre_tokenizer.h
//   - RobertaProcessing gives every token type id 0 (JS gives </s> B </s> type id 1; RoBERTa has a
//     single token type, and transformers does not even pass type ids to it), tokenizer_data.h
//   - in GPT-2's split pattern and for lstrip / rstrip, U+0085 is whitespace and U+FEFF is not (JS:
//     the reverse), byte_level.h and added_tokens.h
// Unicode data comes from ICU (categories, White_Space, NFD, lowercase). Rust takes some of it from
// the unicode_categories crate, whose tables date from 2016: for characters assigned since then
// (new punctuation, marks or format characters) Rust may classify differently; we do not emulate
// those old tables.
// tokenizer.json's normalizer and pre-tokenizer are used as they are, as tokenizers.js and the Rust
// library do (transformers' BertTokenizerFast would re-apply tokenizer_config.json's do_lower_case /
// strip_accents / tokenize_chinese_chars over them when they disagree, RobertaTokenizerFast its
// add_prefix_space, which only an inconsistent model has).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bertft {

struct Encoding {
  std::vector<int32_t> ids;
  std::vector<int32_t> type_ids;
  std::vector<std::string> tokens;
};

struct TokenizerData;  // tokenizer/tokenizer_data.h

// Which end truncation cuts, as tokenizers' truncation_direction: Right keeps each sequence's first
// tokens, Left its last.
enum class TruncationSide { Right, Left };

class Tokenizer {
 public:
  // Reads DIR/tokenizer.json if present, else DIR/vocab.txt, else DIR/vocab.json + DIR/merges.txt
  // (each + DIR/tokenizer_config.json). DIR/tokenizer_config.json and DIR/config.json, when present,
  // also set model_max_length().
  static Tokenizer from_dir(const std::string& dir);
  // In-memory loading (tests, fuzzing). `origin` names the text in error messages, e.g. the path
  // it was read from. An empty tokenizer_config means "no tokenizer_config.json".
  static Tokenizer from_tokenizer_json(std::string_view json, const std::string& origin,
                                           std::string_view tokenizer_config = {},
                                           const std::string& config_origin = "tokenizer_config.json");
  static Tokenizer from_vocab_txt(std::string_view vocab, const std::string& origin,
                                      std::string_view tokenizer_config = {},
                                      const std::string& config_origin = "tokenizer_config.json");
  // RoBERTa's vocab.json + merges.txt, as transformers' RobertaTokenizerFast builds a tokenizer
  // from them; origin() is vocab_origin.
  static Tokenizer from_vocab_json(std::string_view vocab, const std::string& vocab_origin,
                                   std::string_view merges, const std::string& merges_origin,
                                   std::string_view tokenizer_config = {},
                                   const std::string& config_origin = "tokenizer_config.json");

  // max_length counts the special tokens; 0 means no truncation. Text must be valid UTF-8
  // (callers replace invalid sequences with U+FFFD first, see sanitize_utf8). Throws Error if
  // max_length is non-zero but smaller than the number of special tokens.
  Encoding encode(std::string_view text, std::optional<std::string_view> pair = std::nullopt,
                  size_t max_length = 0, TruncationSide side = TruncationSide::Right) const;
  // Ids only: the hot path for batching (no token strings built).
  std::vector<int32_t> encode_ids(std::string_view text, size_t max_length = 0,
                                  TruncationSide side = TruncationSide::Right) const;

  // Size an embedding table needs: largest id (vocabulary or added token) + 1.
  size_t vocab_size() const;
  // The file it was read from (from_dir), or the origin given to from_*.
  const std::string& origin() const;
  int32_t pad_id() const;
  // The model's unknown token; -1 for a BPE model without one (byte-level BPE has a token for
  // every byte, so RoBERTa's never needs it).
  int32_t unk_id() const;
  // The mask token (tokenizer_config.json's mask_token, [MASK] or <mask> by default); -1 if the
  // tokenizer has none.
  int32_t mask_id() const;
  // -1 if the token is neither in the vocabulary nor an added token.
  int32_t token_to_id(std::string_view token) const;
  // "" for an id no token has.
  const std::string& id_to_token(int32_t id) const;
  // Special tokens the post-processor adds around one sequence or a pair ([CLS] A [SEP] -> 2,
  // <s> A </s></s> B </s> -> 4).
  size_t num_special_tokens(bool pair) const;
  // The tokens the post-processor puts before and after a single sequence ([CLS] and [SEP], <s>
  // and </s>); -1 unless that template is exactly one token, the sequence, one token.
  int32_t sequence_start_id() const;
  int32_t sequence_end_id() const;
  // Whether `id` is an added token marked special ([CLS], <pad>, ...).
  bool is_special(int32_t id) const;
  // Whether token `id` continues the word of the token before it, for whole-word masking:
  // WordPiece's continuation pieces ("##s"); for byte-level BPE every token that does not start
  // with a space (Ġ), as fairseq's RoBERTa whole-word masking counts words. False for specials.
  bool continues_word(int32_t id) const;
  // Longest input the model takes (tokenizer_config model_max_length, capped at config.json
  // max_position_embeddings, less pad_token_id + 1 for RoBERTa); 0 if neither file says.
  size_t model_max_length() const;

  Tokenizer();
  ~Tokenizer();
  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;

 private:
  explicit Tokenizer(std::unique_ptr<TokenizerData> data);
  const TokenizerData& data() const;  // throws Error on a default-constructed tokenizer
  std::unique_ptr<TokenizerData> data_;
};

// Replaces each invalid UTF-8 sequence with U+FFFD (as Python's errors="replace" does: one U+FFFD
// per maximal invalid subpart); returns true if anything was replaced.
bool sanitize_utf8(std::string& text);

}  // namespace bertft
