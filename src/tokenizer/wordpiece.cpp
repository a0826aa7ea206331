#include "tokenizer/wordpiece.h"

#include <algorithm>

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
    // candidate, without building a string per candidate.
    const TokenIndex& index = start == 0 ? whole_ : continuation_;
    // Candidates longer than the longest key cannot match; skip them.
    size_t end = std::min(word.size(), start + index.max_key_bytes());
    while (end > start && end < word.size() && is_continuation_byte(word[end])) --end;
    int32_t id = -1;
    while (end > start) {
      id = index.find(word.substr(start, end - start));
      if (id >= 0) break;
      do --end;
      while (end > start && is_continuation_byte(word[end]));
    }
    if (id < 0) {
      out.resize(first);
      out.push_back(unk_id_);
      return;
    }
    out.push_back(id);
    start = end;
  }
}

}  // namespace bertft
