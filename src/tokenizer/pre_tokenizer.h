#pragma once
// BertPreTokenizer: splits normalized text on whitespace (dropped) and makes each punctuation
// character a word of its own, as Rust's BertPreTokenizer does (char::is_whitespace = Unicode
// White_Space; punctuation = \p{P} plus every ASCII symbol, e.g. $ + < = > ^ ` | ~).
// tokenizers.js differs: it splits on JS's \s, which adds U+FEFF and lacks U+0085. Only visible with
// clean_text off; clean_text removes both characters before this stage.
#include <array>
#include <cstdint>
#include <string_view>

#include "tokenizer/utf8.h"

namespace bertft {

enum class CharClass : uint8_t { kWord, kSpace, kPunct };

// Classifies a code point >= 0x80 (ICU lookup).
CharClass classify_non_ascii(char32_t c);

inline constexpr std::array<CharClass, 128> kAsciiClass = [] {
  std::array<CharClass, 128> t{};
  for (int b = 0; b < 128; ++b) {
    bool punct = (b >= 0x21 && b <= 0x2F) || (b >= 0x3A && b <= 0x40) || (b >= 0x5B && b <= 0x60) ||
                 (b >= 0x7B && b <= 0x7E);
    bool space = b == ' ' || (b >= 0x09 && b <= 0x0D);
    t[b] = space ? CharClass::kSpace : punct ? CharClass::kPunct : CharClass::kWord;
  }
  return t;
}();

// Calls on_word(std::string_view) for each word of `text`, in order.
template <class OnWord>
void pre_tokenize(std::string_view text, OnWord&& on_word) {
  size_t i = 0, start = 0, n = text.size();
  bool in_word = false;
  while (i < n) {
    unsigned char b = static_cast<unsigned char>(text[i]);
    size_t next = i + 1;
    CharClass cls;
    if (b < 0x80) {
      cls = kAsciiClass[b];
    } else {
      next = i;
      cls = classify_non_ascii(utf8::next(text, next));
    }
    if (cls == CharClass::kWord) {
      if (!in_word) start = i, in_word = true;
    } else {
      if (in_word) on_word(text.substr(start, i - start)), in_word = false;
      if (cls == CharClass::kPunct) on_word(text.substr(i, next - i));
    }
    i = next;
  }
  if (in_word) on_word(text.substr(start));
}

}  // namespace bertft
