#pragma once
// WordPiece: greedy longest-match-first split of one word into vocabulary pieces, continuation
// pieces carrying the prefix ("##"); a word with an unmatchable remainder, or longer than
// max_input_chars_per_word code points, becomes a single [UNK].
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/token_index.h"

namespace bertft {

class WordPiece {
 public:
  // Ceiling on max_input_chars_per_word in tokenizer files. Released BERT tokenizers use 100; a
  // word limit in the billions let one long word cost seconds.
  static constexpr size_t kMaxInputCharsPerWord = 1000;

  WordPiece() = default;
  WordPiece(std::string continuing_subword_prefix, size_t max_input_chars_per_word)
      : prefix_(std::move(continuing_subword_prefix)), max_chars_(max_input_chars_per_word) {}

  // Returns false if the token is already in the vocabulary.
  bool add(std::string_view token, int32_t id);
  void set_unk_id(int32_t id) { unk_id_ = id; }
  int32_t unk_id() const { return unk_id_; }
  const std::string& continuing_subword_prefix() const { return prefix_; }
  int32_t token_to_id(std::string_view token) const { return whole_.find(token); }
  size_t size() const { return whole_.size(); }

  // Appends the ids of `word` (non-empty, valid UTF-8) to `out`.
  void tokenize(std::string_view word, std::vector<int32_t>& out) const;

 private:
  TokenIndex whole_;         // every token: candidates for a word's first piece
  TokenIndex continuation_;  // tokens that start with the prefix, keyed without it
  std::string prefix_ = "##";
  size_t max_chars_ = 100;
  int32_t unk_id_ = -1;
};

}  // namespace bertft
