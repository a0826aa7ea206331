#pragma once
// Typed reads of the tokenizer's JSON files, each failure a one-line Error naming the file and
// the field: "DIR/tokenizer.json: normalizer.lowercase: expected true or false, got a string".
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace bertft {

// `text` as a JSON string literal, for error messages (escapes keep them on one line).
std::string json_quoted(std::string_view text);

// Parses `text`; fails unless it is a JSON object.
nlohmann::json parse_json_object(std::string_view text, const std::string& origin);

class JsonField {
 public:
  JsonField(const nlohmann::json& value, const std::string& origin, std::string path = "")
      : value_(&value), origin_(&origin), path_(std::move(path)) {}

  // Member `key` (null if absent); fails unless this is an object.
  JsonField operator[](std::string_view key) const;
  // Element `index`; fails unless this is an array with that many elements.
  JsonField operator[](size_t index) const;
  // A member met while iterating this object, named FIELD["key"] in errors.
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
