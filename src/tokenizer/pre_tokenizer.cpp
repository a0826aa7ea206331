#include "tokenizer/pre_tokenizer.h"

#include <unicode/uchar.h>

namespace bertft {

CharClass classify_non_ascii(char32_t c) {
  auto cp = static_cast<UChar32>(c);
  if (u_isUWhiteSpace(cp)) return CharClass::kSpace;
  if (U_GET_GC_MASK(cp) & U_GC_P_MASK) return CharClass::kPunct;
  return CharClass::kWord;
}

}  // namespace bertft
