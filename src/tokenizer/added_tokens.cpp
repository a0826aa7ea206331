#include "tokenizer/added_tokens.h"

#include <unicode/uchar.h>

#include "tokenizer/utf8.h"

namespace bertft {
namespace {

// Rust regex's Unicode \w: Alphabetic, marks, decimal digits, connector punctuation, joiners.
bool is_word_char(char32_t c) {
  auto cp = static_cast<UChar32>(c);
  return u_hasBinaryProperty(cp, UCHAR_ALPHABETIC) ||
         (U_GET_GC_MASK(cp) & (U_GC_M_MASK | U_GC_ND_MASK | U_GC_PC_MASK)) ||
         u_hasBinaryProperty(cp, UCHAR_JOIN_CONTROL);
}

}  // namespace

void AddedTokenMatcher::add(std::string_view pattern, int32_t id, bool single_word) {
  if (pattern.empty()) return;
  uint32_t at = 0;
  for (unsigned char b : pattern) {
    uint32_t child = 0;
    for (auto [byte, index] : nodes_[at].next)
      if (byte == b) child = index;
    if (child == 0) {
      child = static_cast<uint32_t>(nodes_.size());
      nodes_[at].next.emplace_back(b, child);
      nodes_.emplace_back();
    }
    at = child;
  }
  if (nodes_[at].id >= 0) return;
  nodes_[at].id = id;
  nodes_[at].single_word = single_word;
  first_byte_[static_cast<unsigned char>(pattern[0])] = true;
}

size_t AddedTokenMatcher::longest_at(std::string_view text, size_t pos, const Node** node) const {
  size_t best = 0;
  uint32_t at = 0;
  for (size_t i = pos; i < text.size(); ++i) {
    uint32_t child = 0;
    for (auto [byte, index] : nodes_[at].next)
      if (byte == static_cast<unsigned char>(text[i])) child = index;
    if (child == 0) break;
    at = child;
    if (nodes_[at].id >= 0) best = i + 1, *node = &nodes_[at];
  }
  return best;
}

bool is_single_word(std::string_view text, size_t begin, size_t end) {
  if (begin > 0) {
    size_t i = begin - 1;
    while (i > 0 && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) --i;
    if (is_word_char(utf8::next(text, i))) return false;
  }
  if (end < text.size()) {
    size_t i = end;
    if (is_word_char(utf8::next(text, i))) return false;
  }
  return true;
}

}  // namespace bertft
