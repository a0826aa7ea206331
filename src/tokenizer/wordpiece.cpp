#include "tokenizer/wordpiece.h"

namespace bertft {
namespace {

bool is_continuation_byte(char b) { return (static_cast<unsigned char>(b) & 0xC0) == 0x80; }

size_t count_code_points(std::string_view s) {
  size_t n = 0;
  for (char b : s) n += !is_continuation_byte(b);
  return n;
}

}  // namespace

bool WordPiece::add(std::string_view token, int32_t id) {
  if (!whole_.insert(token, id)) return false;
  if (token.substr(0, prefix_.size()) == prefix_) continuation_.insert(token.substr(prefix_.size()), id);
  return true;
}

void WordPiece::tokenize(std::string_view word, std::vector<int32_t>& out) const {
  if (word.size() > max_chars_ && count_code_points(word) > max_chars_) {
    out.push_back(unk_id_);
    return;
  }
  size_t first = out.size(), start = 0;
  while (start < word.size()) {
    // Continuation pieces are looked up without their prefix: same result as prefixing the
    // candidate, without building a string per candidate. Keys are valid UTF-8, so the longest
    // match ends on a character boundary. Each search costs at most the longest key's length.
    const TokenIndex& index = start == 0 ? whole_ : continuation_;
    const TokenIndex::Match piece = index.longest_prefix(word.substr(start));
    if (piece.id < 0) {
      out.resize(first);
      out.push_back(unk_id_);
      return;
    }
    out.push_back(piece.id);
    start += piece.length;
  }
}

}  // namespace bertft
