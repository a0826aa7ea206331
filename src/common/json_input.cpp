#include "common/json_input.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "common/error.h"

namespace bertft {

namespace {

// Python's json module gives up near 1000 levels; no config or header needs more than a handful.
constexpr size_t kMaxDepth = 256;

// nlohmann's messages start with "[json.exception.parse_error.101] "; the id means nothing to users.
std::string without_exception_id(const char* message) {
  std::string m(message);
  if (!m.empty() && m[0] == '[') {
    size_t close = m.find("] ");
    if (close != std::string::npos) m.erase(0, close + 2);
  }
  return m;
}

const nlohmann::json& null_json() {
  static const nlohmann::json null;
  return null;
}

// Builds the document from nlohmann's SAX events. nlohmann's own callback parser would do for the
// checks, but after every object it scans the enclosing container for discarded values, which makes
// [{}, {}, ...] quadratic; here each event costs O(1) plus one map insertion.
class StrictDomBuilder {
 public:
  using json = nlohmann::json;

  StrictDomBuilder(json& root, const std::string& path, const std::string& what)
      : root_(root), path_(path), what_(what) {}

  bool null() { return add(nullptr); }
  bool boolean(bool value) { return add(value); }
  bool number_integer(json::number_integer_t value) { return add(value); }
  bool number_unsigned(json::number_unsigned_t value) { return add(value); }
  bool number_float(json::number_float_t value, const json::string_t&) { return add(value); }
  bool string(json::string_t& value) { return add(std::move(value)); }
  bool binary(json::binary_t& value) { return add(std::move(value)); }

  bool start_object(size_t) { return open(json::object()); }
  bool start_array(size_t) { return open(json::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  // The object's own map finds a repeated key, in the insertion it needs anyway.
  bool key(json::string_t& key) {
    auto [slot, inserted] = open_.back()->get_ref<json::object_t&>().emplace(std::move(key), nullptr);
    if (!inserted) fail_file(path_, "duplicate key " + single_quoted(slot->first));
    member_ = &slot->second;
    return true;
  }

  // Syntax errors, and out_of_range for numbers like 1e999.
  bool parse_error(size_t, const std::string&, const json::exception& error) {
    fail_file(path_, what_ + ": " + without_exception_id(error.what()));
  }

 private:
  // Where the next value goes: the root, the pending member of the innermost object, or the end of
  // the innermost array. Returns it; containers in open_ stay put while they are open, since their
  // parents only grow again after they close.
  json* place(json&& value) {
    if (open_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    json& parent = *open_.back();
    if (parent.is_object()) {
      *member_ = std::move(value);
      return member_;
    }
    return &parent.get_ref<json::array_t&>().emplace_back(std::move(value));
  }
  bool add(json&& value) {
    place(std::move(value));
    return true;
  }
  bool open(json&& container) {
    if (open_.size() >= kMaxDepth) fail_file(path_, "JSON nested deeper than " + std::to_string(kMaxDepth) + " levels");
    open_.push_back(place(std::move(container)));
    return true;
  }
  bool close() {
    open_.pop_back();
    return true;
  }

  json& root_;
  const std::string& path_;
  const std::string& what_;
  std::vector<json*> open_;  // the containers being filled, innermost last
  json* member_ = nullptr;   // the value slot of the innermost object's last key
};

}  // namespace

nlohmann::json parse_json_input(std::string_view text, const std::string& path, const std::string& what) {
  // nlohmann stops at a NUL as if the input ended there, which would accept "{}\0anything". Valid
  // JSON never holds a raw NUL (in strings it must be escaped), so any NUL is an error.
  if (size_t nul = text.find('\0'); nul != std::string_view::npos) {
    size_t line_start = text.rfind('\n', nul);
    line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
    const size_t line = 1 + std::count(text.begin(), text.begin() + nul, '\n');
    fail_file(path, what + ": NUL byte at line " + std::to_string(line) + ", column " +
                        std::to_string(nul - line_start + 1));
  }
  nlohmann::json root;
  StrictDomBuilder builder(root, path, what);
  nlohmann::json::sax_parse(text.begin(), text.end(), &builder);
  return root;
}

nlohmann::json parse_json_object(std::string_view text, const std::string& path) {
  nlohmann::json value = parse_json_input(text, path);
  if (!value.is_object()) fail_file(path, "expected a JSON object, got " + brief(value));
  return value;
}

std::string single_quoted(std::string_view text) {
  std::string out = "'";
  for (char ch : text) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\\' || c == '\'') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "'";
}

std::string brief(const nlohmann::json& value) {
  std::string s = value.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
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
  return JsonField(value, *origin_, path_ + "[" + single_quoted(key) + "]");
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
