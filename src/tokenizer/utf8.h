#pragma once
// UTF-8 helpers shared by the tokenizer stages.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bertft::utf8 {

// Decodes the code point at s[i] and advances i. An ill-formed sequence decodes as U+FFFD (one
// per maximal ill-formed subpart), so callers never stall or read past the end.
char32_t next(std::string_view s, size_t& i);

// Appends the UTF-8 encoding of a valid code point.
void append(std::string& out, char32_t c);

// Whether `s` is well-formed UTF-8.
bool is_valid(std::string_view s);

}  // namespace bertft::utf8
