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

// Where the character that ends text[0, end) starts (end > 0).
size_t start_of_char_before(std::string_view text, size_t end) {
  size_t i = end - 1;
  while (i > 0 && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) --i;
  return i;
}

bool is_whitespace(char32_t c) { return u_isUWhiteSpace(static_cast<UChar32>(c)); }

}  // namespace

void AddedTokenMatcher::add(std::string_view pattern, const AddedToken& token) {
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
  nodes_[at].id = token.id;
  nodes_[at].single_word = token.single_word;
  nodes_[at].lstrip = token.lstrip;
  nodes_[at].rstrip = token.rstrip;
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
    size_t i = start_of_char_before(text, begin);
    if (is_word_char(utf8::next(text, i))) return false;
  }
  if (end < text.size()) {
    size_t i = end;
    if (is_word_char(utf8::next(text, i))) return false;
  }
  return true;
}

size_t whitespace_start_before(std::string_view text, size_t floor, size_t end) {
  while (end > floor) {
    size_t start = start_of_char_before(text, end), next = start;
    if (!is_whitespace(utf8::next(text, next))) break;
    end = start;
  }
  return end;
}

size_t whitespace_end_after(std::string_view text, size_t begin) {
  while (begin < text.size()) {
    size_t next = begin;
    if (!is_whitespace(utf8::next(text, next))) break;
    begin = next;
  }
  return begin;
}

}  // namespace bertft
