#pragma once
// Added (special) tokens found literally in text, as Rust's AddedVocabulary does: non-overlapping
// leftmost-longest matches (aho-corasick MatchKind::LeftmostLongest), each emitted as itself, with
// the whitespace lstrip / rstrip tokens take on their left / right.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bertft {

struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool single_word = false;  // match only where no word character touches either end
  bool lstrip = false;       // the whitespace before the token belongs to it (RoBERTa's <mask>)
  bool rstrip = false;       // the whitespace after the token belongs to it
  bool normalized = false;   // matched in normalized text (after BertNormalizer)
  bool special = false;
};

class AddedTokenMatcher {
 public:
  // At each position the longest pattern wins; an empty pattern is ignored, a repeated one keeps
  // its first id (as aho-corasick prefers the earlier pattern).
  void add(std::string_view pattern, const AddedToken& token);
  bool empty() const { return nodes_.size() <= 1; }

  // Calls on_piece(std::string_view piece, int32_t id) for consecutive pieces covering `text`:
  // id >= 0 for an added token (with the whitespace it strips), -1 for the (non-empty) text
  // between tokens.
  template <class OnPiece>
  void split(std::string_view text, OnPiece&& on_piece) const;

 private:
  struct Node {
    int32_t id = -1;
    bool single_word = false, lstrip = false, rstrip = false;
    std::vector<std::pair<unsigned char, uint32_t>> next;
  };
  // Longest pattern starting at text[pos]: its end, or 0 if none; sets *node.
  size_t longest_at(std::string_view text, size_t pos, const Node** node) const;

  std::vector<Node> nodes_{Node{}};
  std::array<bool, 256> first_byte_{};
};

// Whether a single_word match text[begin, end) has no word character (Rust regex \w) either side.
bool is_single_word(std::string_view text, size_t begin, size_t end);
// Where the whitespace (Unicode White_Space, Rust's \s) that ends text[floor, end) begins.
// tokenizers.js differs: it strips with JS's trim(), whose whitespace has U+FEFF and lacks U+0085.
size_t whitespace_start_before(std::string_view text, size_t floor, size_t end);
// Where the whitespace that starts text[begin, ...) ends.
size_t whitespace_end_after(std::string_view text, size_t begin);

template <class OnPiece>
void AddedTokenMatcher::split(std::string_view text, OnPiece&& on_piece) const {
  size_t pos = 0, piece_start = 0, n = text.size();
  while (pos < n) {
    if (!first_byte_[static_cast<unsigned char>(text[pos])]) {
      ++pos;
      continue;
    }
    const Node* node = nullptr;
    size_t end = longest_at(text, pos, &node);
    if (end == 0) {
      ++pos;
      continue;
    }
    // A rejected single_word match is still consumed, as in Rust's find_iter loop.
    // tokenizers.js differs: it ignores single_word and always splits the token out.
    if (node->single_word && !is_single_word(text, pos, end)) {
      pos = end;
      continue;
    }
    // Stripped whitespace never reaches back into the previous match. The search resumes after
    // the stripped whitespace; Rust resumes at the token's end, which only differs (there with
    // overlapping pieces) for an added token that starts with whitespace.
    size_t start = node->lstrip ? whitespace_start_before(text, piece_start, pos) : pos;
    if (node->rstrip) end = whitespace_end_after(text, end);
    if (piece_start < start) on_piece(text.substr(piece_start, start - piece_start), int32_t{-1});
    on_piece(text.substr(start, end - start), node->id);
    pos = piece_start = end;
  }
  if (piece_start < n) on_piece(text.substr(piece_start), int32_t{-1});
}

}  // namespace bertft
