#include "tokenizer/utf8.h"

#include "tokenizer/tokenizer.h"

namespace bertft::utf8 {
namespace {

// Length of the well-formed sequence at s[0..n) (Unicode Table 3-7), or 0 with *bad set to the
// length of the maximal ill-formed subpart there: the bytes one U+FFFD replaces, as Python does.
size_t sequence_length(const unsigned char* s, size_t n, size_t* bad) {
  unsigned char b = s[0];
  if (b < 0x80) return 1;
  size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // bounds for the second byte; later ones are 80..BF
  if (b >= 0xC2 && b <= 0xDF) {
    len = 2;
  } else if (b == 0xE0) {
    len = 3, lo = 0xA0;
  } else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) {
    len = 3;
  } else if (b == 0xED) {
    len = 3, hi = 0x9F;  // excludes surrogates
  } else if (b == 0xF0) {
    len = 4, lo = 0x90;
  } else if (b >= 0xF1 && b <= 0xF3) {
    len = 4;
  } else if (b == 0xF4) {
    len = 4, hi = 0x8F;  // nothing above U+10FFFF
  } else {
    *bad = 1;
    return 0;
  }
  for (size_t k = 1; k < len; ++k) {
    unsigned char min = k == 1 ? lo : 0x80, max = k == 1 ? hi : 0xBF;
    if (k >= n || s[k] < min || s[k] > max) {
      *bad = k;
      return 0;
    }
  }
  return len;
}

}  // namespace

char32_t next(std::string_view s, size_t& i) {
  auto p = reinterpret_cast<const unsigned char*>(s.data()) + i;
  if (p[0] < 0x80) {
    ++i;
    return p[0];
  }
  size_t bad = 0;
  size_t len = sequence_length(p, s.size() - i, &bad);
  if (len == 0) {
    i += bad;
    return 0xFFFD;
  }
  i += len;
  char32_t c = p[0] & (0xFF >> (len + 1));
  for (size_t k = 1; k < len; ++k) c = (c << 6) | (p[k] & 0x3F);
  return c;
}

void append(std::string& out, char32_t c) {
  char buf[4];
  size_t n;
  if (c < 0x80) {
    buf[0] = static_cast<char>(c), n = 1;
  } else if (c < 0x800) {
    buf[0] = static_cast<char>(0xC0 | (c >> 6)), buf[1] = static_cast<char>(0x80 | (c & 0x3F)), n = 2;
  } else if (c < 0x10000) {
    buf[0] = static_cast<char>(0xE0 | (c >> 12)), buf[1] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    buf[2] = static_cast<char>(0x80 | (c & 0x3F)), n = 3;
  } else {
    buf[0] = static_cast<char>(0xF0 | (c >> 18)), buf[1] = static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    buf[2] = static_cast<char>(0x80 | ((c >> 6) & 0x3F)), buf[3] = static_cast<char>(0x80 | (c & 0x3F));
    n = 4;
  }
  out.append(buf, n);
}

bool is_valid(std::string_view s) {
  auto p = reinterpret_cast<const unsigned char*>(s.data());
  size_t bad = 0;
  for (size_t i = 0; i < s.size();) {
    size_t len = sequence_length(p + i, s.size() - i, &bad);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

}  // namespace bertft::utf8

namespace bertft {

bool sanitize_utf8(std::string& text) {
  if (utf8::is_valid(text)) return false;
  auto p = reinterpret_cast<const unsigned char*>(text.data());
  size_t n = text.size(), i = 0, bad = 0;
  std::string out;
  out.reserve(n + 16);
  while (i < n) {
    size_t len = utf8::sequence_length(p + i, n - i, &bad);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      i += bad;
    } else {
      out.append(text, i, len);
      i += len;
    }
  }
  text = std::move(out);
  return true;
}

}  // namespace bertft
