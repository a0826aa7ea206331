#pragma once
// Reading JSON that comes from files we did not write (config.json, safetensors headers): errors are
// one line naming the file, with line/column for syntax errors; duplicate keys are rejected rather
// than silently resolved, and absurd nesting is refused before it can exhaust the stack.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace bertft {

// Throws Error("path: <what>: parse error at line L, column C: ...") on malformed text, or
// "path: duplicate key 'k'" / "path: JSON nested deeper than N levels".
nlohmann::json parse_json_input(std::string_view text, const std::string& path,
                                const std::string& what = "invalid JSON");

// 'text' with control characters and quotes escaped, so a name from an untrusted file cannot break
// the one-line shape of an error message.
std::string single_quoted(std::string_view text);

// A short rendering of a JSON value for "got ..." in messages (cut at about 40 characters).
std::string brief(const nlohmann::json& value);

}  // namespace bertft
