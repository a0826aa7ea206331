#include "tokenizer/byte_level.h"

#include <unicode/uchar.h>

namespace bertft {
namespace {

constexpr std::array<char32_t, 256> kByteToChar = [] {
  std::array<char32_t, 256> t{};
  char32_t unprintable = 0;
  for (int b = 0; b < 256; ++b) {
    bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    t[b] = printable ? static_cast<char32_t>(b) : 0x100 + unprintable++;
  }
  return t;
}();

}  // namespace

char32_t byte_to_char(unsigned char b) { return kByteToChar[b]; }

Gpt2Class gpt2_class_non_ascii(char32_t c) {
  auto cp = static_cast<UChar32>(c);
  if (u_isUWhiteSpace(cp)) return Gpt2Class::kSpace;
  uint32_t category = U_GET_GC_MASK(cp);
  if (category & U_GC_L_MASK) return Gpt2Class::kLetter;
  if (category & U_GC_N_MASK) return Gpt2Class::kNumber;
  return Gpt2Class::kOther;
}

size_t contraction_length(std::string_view text, size_t i) {
  std::string_view rest = text.substr(i + 1, 2);  // text[i] is the apostrophe
  if (rest == "re" || rest == "ve" || rest == "ll") return 3;
  if (!rest.empty() && (rest[0] == 's' || rest[0] == 't' || rest[0] == 'm' || rest[0] == 'd')) return 2;
  return 0;
}

}  // namespace bertft
