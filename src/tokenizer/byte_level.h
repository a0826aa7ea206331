#pragma once
// The ByteLevel pre-tokenizer of GPT-2 and RoBERTa, as Rust tokenizers' pre_tokenizers::ByteLevel:
// each piece of text between added tokens gets a leading space if add_prefix_space asks and it has
// none, is split by GPT-2's pattern (use_regex)
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// and BPE then works on each split's bytes, each byte standing for one character of the vocabulary
// (bytes_to_unicode: Ġ is the space, Ċ the newline).
//
// The pattern is matched by a scanner, not a regex engine: every alternative but the contractions
// is one run of a single character class (letter \p{L}, number \p{N}, whitespace \s, other),
// optionally after one space, so the first one or two characters decide which alternative wins and
// the run's end decides where it stops. One pass, one code point of lookahead: linear in the text.
// \s is Unicode White_Space, as in Oniguruma, Rust's engine for this pattern. tokenizers.js differs:
// JS's \s also holds U+FEFF and lacks U+0085, so splits next to those two characters can differ
// ("!\u0085" is one split in JS, two in Rust); we follow Rust.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "tokenizer/utf8.h"

namespace bertft {

// GPT-2's bytes_to_unicode: the character that stands for byte b in byte-level tokens. Printable
// Latin-1 bytes stand for themselves, the other 68 for U+0100.. in byte order (space -> U+0120 Ġ).
char32_t byte_to_char(unsigned char b);

// The byte-level form of a space (U+0120 Ġ), which starts every token of a word after a space.
inline constexpr std::string_view kByteLevelSpace = "\xC4\xA0";

enum class Gpt2Class : uint8_t { kLetter, kNumber, kSpace, kOther };

// Classifies a code point >= 0x80 (ICU lookup).
Gpt2Class gpt2_class_non_ascii(char32_t c);

inline constexpr std::array<Gpt2Class, 128> kGpt2AsciiClass = [] {
  std::array<Gpt2Class, 128> t{};
  for (int b = 0; b < 128; ++b) {
    bool letter = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z');
    bool space = b == ' ' || (b >= 0x09 && b <= 0x0D);
    t[b] = letter ? Gpt2Class::kLetter : b >= '0' && b <= '9' ? Gpt2Class::kNumber
                                       : space                ? Gpt2Class::kSpace
                                                              : Gpt2Class::kOther;
  }
  return t;
}();

// The class of the code point at text[i] (i < text.size()); *next gets the index after it.
inline Gpt2Class gpt2_class_at(std::string_view text, size_t i, size_t* next) {
  unsigned char b = static_cast<unsigned char>(text[i]);
  if (b < 0x80) {
    *next = i + 1;
    return kGpt2AsciiClass[b];
  }
  *next = i;
  return gpt2_class_non_ascii(utf8::next(text, *next));
}

// The length of the contraction ('s 't 're 've 'm 'll 'd, lowercase only) at text[i], or 0.
size_t contraction_length(std::string_view text, size_t i);

// Calls on_split(std::string_view) for each split of `text` (valid UTF-8) by GPT-2's pattern, in
// order; the splits cover the text.
template <class OnSplit>
void split_gpt2(std::string_view text, OnSplit&& on_split) {
  const size_t n = text.size();
  size_t i = 0;
  auto run_end = [&](size_t from, Gpt2Class cls) {  // end of the run of `cls` starting at `from`
    size_t end = from, next = 0;
    while (end < n && gpt2_class_at(text, end, &next) == cls) end = next;
    return end;
  };
  while (i < n) {
    const size_t start = i;
    if (text[i] == '\'') {
      if (size_t length = contraction_length(text, i)) {
        i += length;
        on_split(text.substr(start, length));
        continue;
      }
    }
    size_t next = 0, after = 0;
    const Gpt2Class cls = gpt2_class_at(text, i, &next);
    const Gpt2Class following =
        text[i] == ' ' && next < n ? gpt2_class_at(text, next, &after) : Gpt2Class::kSpace;
    if (cls != Gpt2Class::kSpace) {  // \p{L}+, \p{N}+ or [^\s\p{L}\p{N}]+
      i = run_end(next, cls);
    } else if (following != Gpt2Class::kSpace) {  // " ?" then a run
      i = run_end(after, following);
    } else {
      // Whitespace: \s+(?!\S) takes the whole run at the end of the text, else all of it but the
      // last character (which goes with what follows); a run of one before non-space is \s+.
      size_t last = start, end = start;
      while (end < n && gpt2_class_at(text, end, &next) == Gpt2Class::kSpace) last = end, end = next;
      i = end == n || last == start ? end : last;
    }
    on_split(text.substr(start, i - start));
  }
}

// add_prefix_space and use_regex of a ByteLevel pre-tokenizer (trim_offsets only moves offsets).
struct ByteLevel {
  bool add_prefix_space = false;
  bool use_regex = true;

  // Calls on_split(std::string_view) for each split of one piece of text (non-empty, valid UTF-8);
  // `buffer` holds the piece with its added space.
  template <class OnSplit>
  void pre_tokenize(std::string_view piece, std::string& buffer, OnSplit&& on_split) const {
    if (add_prefix_space && piece.front() != ' ') {
      buffer.assign(1, ' ');
      buffer.append(piece);
      piece = buffer;
    }
    if (use_regex)
      split_gpt2(piece, on_split);
    else
      on_split(piece);
  }
};

}  // namespace bertft
