#include "tokenizer/normalizer.h"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/utf16.h>

#include <string>

#include "common/error.h"
#include "tokenizer/utf8.h"

namespace bertft {
namespace {

// Rust's is_control: Cc, Cf, Co (and Cs, which UTF-8 cannot carry), minus \t \n \r.
bool is_control(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  int8_t type = u_charType(static_cast<UChar32>(c));
  return type == U_CONTROL_CHAR || type == U_FORMAT_CHAR || type == U_PRIVATE_USE_CHAR ||
         type == U_SURROGATE;
}

// The CJK Unified Ideographs blocks, with the Rust library's bounds. tokenizers.js differs: it
// tests UTF-16 code units, so nothing above U+FFFF is ever spaced there. Rust's extension-E range
// starts at U+2B920 (Python's BasicTokenizer says U+2B820): U+2B820..U+2B91F are not spaced.
bool is_chinese_char(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

void push_utf16(std::u16string& s, char32_t c) {
  if (c < 0x10000) {
    s.push_back(static_cast<char16_t>(c));
  } else {
    s.push_back(static_cast<char16_t>(U16_LEAD(c)));
    s.push_back(static_cast<char16_t>(U16_TRAIL(c)));
  }
}

const UNormalizer2* nfd() {
  static const UNormalizer2* instance = [] {
    UErrorCode err = U_ZERO_ERROR;
    const UNormalizer2* n = unorm2_getNFDInstance(&err);
    if (U_FAILURE(err)) throw Error(std::string("ICU: cannot load NFD data: ") + u_errorName(err));
    return n;
  }();
  return instance;
}

}  // namespace

BertNormalizer::BertNormalizer(bool clean_text, bool handle_chinese_chars, bool strip_accents,
                               bool lowercase)
    : clean_text_(clean_text),
      handle_chinese_chars_(handle_chinese_chars),
      strip_accents_(strip_accents),
      lowercase_(lowercase) {
  // No ASCII character decomposes, is a mark or is CJK: only cleaning and case apply.
  for (int b = 0; b < 128; ++b) {
    int16_t out = static_cast<int16_t>(b);
    if (lowercase && b >= 'A' && b <= 'Z') out = static_cast<int16_t>(b + 32);
    if (clean_text) {
      if (b == 0 || is_control(static_cast<char32_t>(b))) out = kDrop;  // incl. \v \f
      if (b == ' ' || b == '\t' || b == '\n' || b == '\r') out = ' ';
    }
    ascii_[b] = out;
  }
  if (strip_accents) nfd();  // fail at load time, not mid-encode
}

void BertNormalizer::normalize(std::string_view in, std::string& out) const {
  // Runs of non-ASCII text are normalized separately. That is exact: every step but NFD is per
  // character, and NFD only reorders within runs of combining marks, which an ASCII character
  // (a starter) always ends.
  size_t i = 0, n = in.size();
  while (i < n) {
    unsigned char b = static_cast<unsigned char>(in[i]);
    if (b < 0x80) {
      int16_t a = ascii_[b];
      if (a != kDrop) out.push_back(static_cast<char>(a));
      ++i;
      continue;
    }
    size_t end = i + 1;
    while (end < n && static_cast<unsigned char>(in[end]) >= 0x80) ++end;
    normalize_non_ascii(in.substr(i, end - i), out);
    i = end;
  }
}

void BertNormalizer::normalize_non_ascii(std::string_view run, std::string& out) const {
  std::u16string text;
  text.reserve(run.size() + 8);
  for (size_t i = 0; i < run.size();) {
    char32_t c = utf8::next(run, i);
    if (clean_text_) {
      if (c == 0xFFFD || is_control(c)) continue;
      if (u_isUWhiteSpace(static_cast<UChar32>(c))) c = ' ';
    }
    if (handle_chinese_chars_ && is_chinese_char(c)) {
      text += u' ';
      push_utf16(text, c);
      text += u' ';
    } else {
      push_utf16(text, c);
    }
  }
  if (strip_accents_) {
    std::u16string decomposed(text.size() * 2 + 8, u'\0');
    UErrorCode err = U_ZERO_ERROR;
    int32_t len = unorm2_normalize(nfd(), text.data(), static_cast<int32_t>(text.size()),
                                   decomposed.data(), static_cast<int32_t>(decomposed.size()), &err);
    if (err == U_BUFFER_OVERFLOW_ERROR) {
      decomposed.assign(static_cast<size_t>(len), u'\0');
      err = U_ZERO_ERROR;
      len = unorm2_normalize(nfd(), text.data(), static_cast<int32_t>(text.size()),
                             decomposed.data(), len, &err);
    }
    if (U_FAILURE(err)) throw Error(std::string("ICU: NFD failed: ") + u_errorName(err));
    decomposed.resize(static_cast<size_t>(len));
    text.swap(decomposed);
  }
  for (size_t i = 0; i < text.size();) {
    UChar32 c;
    U16_NEXT(text.data(), i, text.size(), c);
    if (strip_accents_ && u_charType(c) == U_NON_SPACING_MARK) continue;
    if (lowercase_) {
      // Rust lowercases char by char (char::to_lowercase): the full mapping, which differs from
      // ICU's simple u_tolower only for U+0130 (-> "i" + U+0307), and no context. tokenizers.js
      // differs: String.toLowerCase applies Final_Sigma, turning a word-final Σ into ς; Rust,
      // and so we, always give σ.
      if (c == 0x130) {
        out += "i\xCC\x87";
        continue;
      }
      c = u_tolower(c);
    }
    utf8::append(out, static_cast<char32_t>(c));
  }
}

}  // namespace bertft
