#pragma once
// Reading JSON that comes from files we did not write (config.json, safetensors headers, tokenizer
// files, JSON Lines inputs). Every failure is an Error whose message is one line naming the file and,
// where there is one, the field: "DIR/tokenizer.json: normalizer.lowercase: expected true or false,
// got string". Parsing is strict: duplicate keys are rejected rather than silently resolved, absurd
// nesting is refused before it can exhaust the stack, and a NUL byte cannot end the input early.
// Time and memory grow linearly with the text (one map insertion per object member).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace bertft {

// Throws Error("path: <what>: parse error at line L, column C: ...") on malformed text (also for
// numbers like 1e999), or "path: duplicate key 'k'" / "path: JSON nested deeper than N levels".
nlohmann::json parse_json_input(std::string_view text, const std::string& path,
                                const std::string& what = "invalid JSON");

// parse_json_input, then "path: expected a JSON object, got ..." unless the top level is an object.
nlohmann::json parse_json_object(std::string_view text, const std::string& path);

// 'text' with control characters, backslashes and quotes escaped, so a name from an untrusted file
// cannot break the one-line shape of an error message.
std::string single_quoted(std::string_view text);

// A short rendering of a JSON value for "got ..." in messages (cut at about 40 characters).
std::string brief(const nlohmann::json& value);

// Typed access to a parsed document: each accessor checks the type (and range) and otherwise throws
// Error("ORIGIN: PATH: problem"), PATH being like model.vocab['hello'] or post_processor.single[1].
// Holds pointers to `value` and `origin`, which must outlive it.
class JsonField {
 public:
  JsonField(const nlohmann::json& value, const std::string& origin, std::string path = "")
      : value_(&value), origin_(&origin), path_(std::move(path)) {}

  // Member `key` (null if absent); fails unless this is an object.
  JsonField operator[](std::string_view key) const;
  // Element `index`; fails unless this is an array with that many elements.
  JsonField operator[](size_t index) const;
  // A member met while iterating this object, named FIELD['key'] in errors.
  JsonField entry(const std::string& key, const nlohmann::json& value) const;

  bool absent() const { return value_->is_null(); }  // missing or null: the default applies
  const nlohmann::json& value() const { return *value_; }
  const nlohmann::json& as_object() const;
  const nlohmann::json& as_array() const;
  bool as_bool() const;
  const std::string& as_string() const;
  int64_t as_int(int64_t min, int64_t max) const;

  bool bool_or(bool fallback) const { return absent() ? fallback : as_bool(); }
  std::string string_or(const std::string& fallback) const { return absent() ? fallback : as_string(); }
  int64_t int_or(int64_t fallback, int64_t min, int64_t max) const {
    return absent() ? fallback : as_int(min, max);
  }

  [[noreturn]] void fail(const std::string& problem) const;

 private:
  [[noreturn]] void fail_type(const char* expected) const;
  const nlohmann::json* value_;
  const std::string* origin_;
  std::string path_;
};

}  // namespace bertft
