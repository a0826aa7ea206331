#pragma once
// BertTokenizer with Hugging Face semantics: BertNormalizer -> BertPreTokenizer -> WordPiece ->
// [CLS] A [SEP] (B [SEP]) with segment ids, truncation longest-first.
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

class BertTokenizer {
 public:
  // Reads DIR/tokenizer.json if present, else DIR/vocab.txt (+ DIR/tokenizer_config.json).
  static BertTokenizer from_dir(const std::string& dir);
  // max_length counts the special tokens; 0 means no truncation. Text must be valid UTF-8
  // (callers replace invalid sequences with U+FFFD first, see sanitize_utf8).
  Encoding encode(std::string_view text, std::optional<std::string_view> pair = std::nullopt,
                  size_t max_length = 0) const;
  // Ids only: the hot path for batching (no token strings built).
  std::vector<int32_t> encode_ids(std::string_view text, size_t max_length = 0) const;

  size_t vocab_size() const;
  int32_t pad_id() const;
  // ... (implementation detail members below are free to change)
  BertTokenizer();
  ~BertTokenizer();
  BertTokenizer(BertTokenizer&&) noexcept;
  BertTokenizer& operator=(BertTokenizer&&) noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Replaces each invalid UTF-8 sequence with U+FFFD (as Python's errors="replace" does); returns
// true if anything was replaced.
bool sanitize_utf8(std::string& text);

}  // namespace bertft
