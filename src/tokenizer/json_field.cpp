#include "tokenizer/json_field.h"

#include "common/error.h"

namespace bertft {
namespace {

const nlohmann::json& null_json() {
  static const nlohmann::json null;
  return null;
}

}  // namespace

std::string json_quoted(std::string_view text) {
  return nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json parse_json_object(std::string_view text, const std::string& origin) {
  nlohmann::json value;
  try {
    value = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    // Syntax errors, but also out_of_range for numbers like 1e999. e.what() is
    // "[json.exception.parse_error.101] parse error at line 1, ...": keep the tail.
    std::string what = e.what();
    size_t cut = what.find("] ");
    fail_file(origin, "invalid JSON: " + (cut == std::string::npos ? what : what.substr(cut + 2)));
  }
  if (!value.is_object()) fail_file(origin, "expected a JSON object at the top level");
  return value;
}

JsonField JsonField::operator[](std::string_view key) const {
  const nlohmann::json& object = as_object();
  auto it = object.find(key);
  std::string path = path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  return JsonField(it == object.end() ? null_json() : *it, *origin_, std::move(path));
}

JsonField JsonField::operator[](size_t index) const {
  const nlohmann::json& array = as_array();
  std::string path = path_ + "[" + std::to_string(index) + "]";
  if (index >= array.size()) JsonField(null_json(), *origin_, path).fail("missing");
  return JsonField(array[index], *origin_, std::move(path));
}

JsonField JsonField::entry(const std::string& key, const nlohmann::json& value) const {
  return JsonField(value, *origin_, path_ + "[" + json_quoted(key) + "]");
}

const nlohmann::json& JsonField::as_object() const {
  if (!value_->is_object()) fail_type("an object");
  return *value_;
}

const nlohmann::json& JsonField::as_array() const {
  if (!value_->is_array()) fail_type("an array");
  return *value_;
}

bool JsonField::as_bool() const {
  if (!value_->is_boolean()) fail_type("true or false");
  return value_->get<bool>();
}

const std::string& JsonField::as_string() const {
  if (!value_->is_string()) fail_type("a string");
  return value_->get_ref<const std::string&>();
}

int64_t JsonField::as_int(int64_t min, int64_t max) const {
  int64_t v = 0;
  if (value_->is_number_unsigned()) {
    uint64_t u = value_->get<uint64_t>();
    if (u > static_cast<uint64_t>(max)) fail("must be at most " + std::to_string(max));
    v = static_cast<int64_t>(u);
  } else if (value_->is_number_integer()) {
    v = value_->get<int64_t>();
  } else {
    fail_type("an integer");
  }
  if (v < min) fail("must be at least " + std::to_string(min));
  if (v > max) fail("must be at most " + std::to_string(max));
  return v;
}

void JsonField::fail(const std::string& problem) const {
  fail_file(*origin_, (path_.empty() ? "" : path_ + ": ") + problem);
}

void JsonField::fail_type(const char* expected) const {
  fail(std::string("expected ") + expected + ", got " +
       (value_->is_null() ? "nothing" : value_->type_name()));
}

}  // namespace bertft
