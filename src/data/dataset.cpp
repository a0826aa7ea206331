#include "data/dataset.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string_view>

#include "common/error.h"
#include "common/io.h"
#include "common/json_input.h"
#include "data/archive.h"
#include "data/csv.h"
#include "data/rng.h"
#include "data/text_files.h"
#include "tokenizer/tokenizer.h"

namespace bertft {

namespace {

namespace fs = std::filesystem;

// Class ids above this are surely a mistake (a regression target, a hash), not a class.
constexpr int64_t kMaxClassId = 100000;
// The seed of the max_samples shuffle: fixed, so a sample is the same on every run.
constexpr uint64_t kSampleSeed = 0x5eed5a3b1e5ULL;

const std::vector<std::string> kLabelNames = {"label", "sentiment", "labels", "class"};

// An example before its label becomes a class id.
struct RawExample {
  std::string text;
  std::string text_pair;
  std::string label;        // raw value; a JSON integer as its decimal text
  bool label_is_json_int = false;
  int rating = -1;
  std::vector<float> probs;
  std::vector<std::pair<std::string, float>> named_probs;  // "probs" as {LABEL: P, ...}
  std::string origin;
};

std::string trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  const size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
  std::string out;
  for (size_t i = 0; i < items.size(); i++) {
    if (i) out += sep;
    out += items[i];
  }
  return out;
}

// Parses an optionally signed decimal integer; nullopt unless the whole string is one.
std::optional<int64_t> parse_integer(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int64_t value = 0;
  const char* begin = s.data();
  const auto [ptr, ec] = std::from_chars(begin, begin + s.size(), value);
  if (ec != std::errc() || ptr != begin + s.size()) return std::nullopt;
  return value;
}

// ---- JSON Lines ---------------------------------------------------------------------------------

std::vector<RawExample> read_json_lines(const std::string& data, const std::string& name,
                                        const DatasetOptions& options) {
  std::vector<RawExample> out;
  std::vector<std::string> text_keys;
  std::string label_key;
  const std::string pair_key = options.text_pair_column.empty() ? "text_pair" : options.text_pair_column;
  const bool pair_required = !options.text_pair_column.empty();
  size_t pos = 0;
  int64_t line_number = 0;
  while (pos < data.size()) {
    size_t end = data.find('\n', pos);
    if (end == std::string::npos) end = data.size();
    std::string line = data.substr(pos, end - pos);
    pos = end + 1;
    line_number++;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (is_blank(line)) continue;
    const std::string where = name + ":" + std::to_string(line_number);
    if (text_keys.empty() && line[line.find_first_not_of(" \t\f\v")] == '[')
      fail_file(where, "a JSON array; expected JSON Lines, one object per line like {\"text\": \"...\", \"label\": 1}");
    sanitize_utf8(line);
    const nlohmann::json object = parse_json_input(line, where);
    if (!object.is_object())
      fail_file(where, "expected a JSON object like {\"text\": \"...\", \"label\": 1}, got " + brief(object));
    if (text_keys.empty()) {  // the first record picks the keys
      auto choose = [&](const std::vector<std::string>& candidates, const char* what, const char* option) {
        for (const std::string& c : candidates)
          if (object.contains(c)) return c;
        fail_file(where, std::string("no ") + what + " field (looked for " + join(candidates) + "; use " + option + ")");
      };
      text_keys = options.text_columns.empty()
                      ? std::vector<std::string>{choose(kTextColumnNames, "text", "--text-column")}
                      : options.text_columns;
      if (!options.unlabeled)
        label_key = options.label_column.empty() ? choose(kLabelNames, "label", "--label-column") : options.label_column;
    }
    const JsonField record(object, where);
    RawExample ex;
    ex.origin = where;
    for (const std::string& key : text_keys) {
      const JsonField text = record[key];
      if (text.absent()) fail_file(where, "missing " + single_quoted(key));
      if (!ex.text.empty()) ex.text += ' ';
      ex.text += clean_text(text.as_string(), options.strip_html.value_or(false));
    }
    const JsonField pair = record[pair_key];
    if (pair.absent()) {
      if (pair_required) fail_file(where, "missing " + single_quoted(pair_key));
    } else {
      ex.text_pair = clean_text(pair.as_string(), options.strip_html.value_or(false));
    }
    if (options.unlabeled) {
      out.push_back(std::move(ex));
      continue;
    }
    const JsonField label = record[label_key];
    if (label.absent()) fail_file(where, "missing label " + single_quoted(label_key));
    if (label.value().is_number_integer()) {
      ex.label = std::to_string(label.as_int(INT64_MIN, INT64_MAX));
      ex.label_is_json_int = true;
    } else if (label.value().is_string()) {
      ex.label = label.as_string();
      if (ex.label.empty()) fail_file(where, "empty label");
    } else {
      label.fail("expected a class id (integer) or a label name (string), got " + brief(label.value()));
    }
    const JsonField probs = record["probs"];
    if (!probs.absent()) {
      double sum = 0;
      auto add = [&](const nlohmann::json& p) {
        if (!p.is_number() || !(p.get<double>() >= 0 && p.get<double>() <= 1))
          probs.fail("expected class probabilities, numbers in [0, 1], got " + brief(p));
        sum += p.get<double>();
        return p.get<float>();
      };
      if (probs.value().is_object()) {  // by label name, as bertft predict prints them
        for (const auto& [name, p] : probs.value().items()) ex.named_probs.emplace_back(name, add(p));
      } else {
        for (const auto& p : probs.as_array()) ex.probs.push_back(add(p));
      }
      if (std::abs(sum - 1) > 1e-3) {
        char text[32];
        std::snprintf(text, sizeof text, "%.6g", sum);
        probs.fail(std::string("the class probabilities sum to ") + text + ", not 1");
      }
    }
    out.push_back(std::move(ex));
  }
  return out;
}

// ---- CSV / TSV ----------------------------------------------------------------------------------

size_t find_column(const std::vector<std::string>& header, const std::string& given,
                   const std::vector<std::string>& candidates, const std::string& where, const char* what,
                   const char* option) {
  std::vector<std::string> names;
  for (const std::string& h : header) names.push_back(trim(h));
  if (!given.empty()) {
    for (size_t i = 0; i < names.size(); i++)
      if (names[i] == given) return i;
    for (size_t i = 0; i < names.size(); i++)
      if (ascii_lower(names[i]) == ascii_lower(given)) return i;
    fail_file(where, "no column " + single_quoted(given) + " in the header (columns: " + join(names) + ")");
  }
  for (const std::string& c : candidates)
    for (size_t i = 0; i < names.size(); i++)
      if (ascii_lower(names[i]) == c) return i;
  fail_file(where, std::string("no ") + what + " column (looked for " + join(candidates) + "; columns: " +
                       join(names) + "; use " + option + ")");
}

size_t column_index(const std::string& given, const std::string& name, const char* option) {
  const auto value = parse_integer(trim(given));
  if (!value || *value < 0 || *value > 100000)
    fail_file(name, std::string(option) + " " + single_quoted(given) +
                        ": with --no-header, columns are 0-based indexes");
  return static_cast<size_t>(*value);
}

std::vector<RawExample> read_delimited(const std::string& data, char delimiter, const std::string& name,
                                       const DatasetOptions& options) {
  CsvReader reader(data, delimiter, name);
  CsvRecord record;
  std::vector<size_t> text_cols;
  std::optional<size_t> label_col;
  std::optional<size_t> pair_col;
  size_t expected_fields = 0;  // 0: any count that has the columns (no header)
  if (options.no_header && options.column_names.empty()) {
    if (options.text_columns.empty() || (options.label_column.empty() && !options.unlabeled))
      fail_file(name, options.unlabeled ? "--no-header needs --text-column as a 0-based column index"
                                        : "--no-header needs --text-column and --label-column as 0-based column indexes");
    for (const std::string& column : options.text_columns)
      text_cols.push_back(column_index(column, name, "--text-column"));
    if (!options.unlabeled) label_col = column_index(options.label_column, name, "--label-column");
    if (!options.text_pair_column.empty()) pair_col = column_index(options.text_pair_column, name, "--text-pair-column");
  } else {
    std::string where = name + " (--column-names)";
    std::vector<std::string> header = options.column_names;
    if (header.empty()) {
      if (!reader.next(record)) fail_file(name, "empty file (expected a header line)");
      where = name + ":" + std::to_string(record.line);
      header = record.fields;
    }
    if (options.text_columns.empty())
      text_cols.push_back(find_column(header, "", kTextColumnNames, where, "text", "--text-column"));
    for (const std::string& column : options.text_columns)
      text_cols.push_back(find_column(header, column, {}, where, "text", "--text-column"));
    if (!options.unlabeled)
      label_col = find_column(header, options.label_column, kLabelNames, where, "label", "--label-column");
    if (!options.text_pair_column.empty()) {
      pair_col = find_column(header, options.text_pair_column, {}, where, "text pair", "--text-pair-column");
    } else {
      for (size_t i = 0; i < header.size(); i++)
        if (ascii_lower(trim(header[i])) == "text_pair") pair_col = i;
    }
    expected_fields = header.size();
  }
  const size_t needed =
      std::max({*std::max_element(text_cols.begin(), text_cols.end()), label_col.value_or(0), pair_col.value_or(0)}) + 1;
  std::vector<RawExample> out;
  while (reader.next(record)) {
    const std::string where = name + ":" + std::to_string(record.line);
    if (expected_fields && record.fields.size() != expected_fields)
      fail_file(where, std::to_string(record.fields.size()) + " fields, " +
                           (options.column_names.empty() ? "the header has " : "--column-names has ") +
                           std::to_string(expected_fields));
    if (record.fields.size() < needed)
      fail_file(where, std::to_string(record.fields.size()) + " fields, the columns given need " +
                           std::to_string(needed));
    RawExample ex;
    ex.origin = where;
    for (size_t column : text_cols) {
      if (!ex.text.empty()) ex.text += ' ';
      ex.text += clean_text(std::move(record.fields[column]), options.strip_html.value_or(false));
    }
    if (pair_col) ex.text_pair = clean_text(std::move(record.fields[*pair_col]), options.strip_html.value_or(false));
    if (label_col) {
      ex.label = trim(record.fields[*label_col]);
      if (ex.label.empty()) fail_file(where, "empty label");
      sanitize_utf8(ex.label);
    }
    out.push_back(std::move(ex));
  }
  return out;
}

// ---- aclImdb layout -----------------------------------------------------------------------------

const std::vector<std::string> kImdbDirs = {"neg", "pos"};  // sorted: negatives first

int imdb_rating(const std::string& file_name) {
  // ID_RATING.txt
  if (!file_name.ends_with(".txt")) return -1;
  const std::string stem = file_name.substr(0, file_name.size() - 4);
  const size_t underscore = stem.rfind('_');
  if (underscore == std::string::npos) return -1;
  const auto value = parse_integer(stem.substr(underscore + 1));
  return value && *value >= 0 && *value <= 100 ? static_cast<int>(*value) : -1;
}


RawExample imdb_example(std::string contents, const std::string& sub, const std::string& file_name,
                        std::string origin, const DatasetOptions& options) {
  RawExample ex;
  ex.text = clean_text(std::move(contents), options.strip_html.value_or(false));
  ex.label = sub == "pos" ? "positive" : "negative";
  ex.rating = imdb_rating(file_name);
  ex.origin = std::move(origin);
  return ex;
}

std::vector<RawExample> read_imdb_directory(const std::string& dir, const DatasetOptions& options) {
  std::vector<RawExample> out;
  bool any_dir = false;
  for (const std::string& sub : kImdbDirs) {
    const fs::path path = fs::path(dir) / sub;
    std::error_code ec;
    if (!fs::is_directory(path, ec)) continue;
    any_dir = true;
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      const std::string name = entry.path().filename().string();
      if (is_text_file_name(name) && entry.is_regular_file()) names.push_back(name);
    }
    if (ec) fail_file(path.string(), "cannot list: " + ec.message());
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      const std::string file = (path / name).string();
      out.push_back(imdb_example(read_file(file), sub, name, file, options));
    }
  }
  if (!any_dir) fail_file(dir, "not an aclImdb-style directory (no pos/ or neg/ subdirectory)");
  return out;
}

// ---- dispatch -----------------------------------------------------------------------------------

enum class FileKind { kJsonLines, kCsv, kTsv, kUnknown };

FileKind file_kind(const std::string& name) {
  if (is_json_lines_name(name)) return FileKind::kJsonLines;
  const std::string n = ascii_lower(name);
  if (n.ends_with(".csv")) return FileKind::kCsv;
  if (n.ends_with(".tsv")) return FileKind::kTsv;
  return FileKind::kUnknown;
}

const char* kFormats = "expected .jsonl/.json (JSON Lines), .csv, .tsv, an aclImdb-style directory, or ARCHIVE#MEMBER";

std::vector<RawExample> read_file_contents(const std::string& data, const std::string& name,
                                           const DatasetOptions& options) {
  switch (file_kind(name)) {
    case FileKind::kJsonLines:
      if (options.no_header || !options.column_names.empty())
        fail_file(name, "--no-header and --column-names apply to CSV/TSV files only");
      return read_json_lines(data, name, options);
    case FileKind::kCsv: return read_delimited(data, ',', name, options);
    case FileKind::kTsv: return read_delimited(data, '\t', name, options);
    case FileKind::kUnknown: break;
  }
  fail_file(name, std::string("unknown dataset format (") + kFormats + ")");
}

std::vector<RawExample> read_archive(const std::string& archive, const std::string& member,
                                     const DatasetOptions& options) {
  const std::string spec = archive + "#" + member;
  if (member.empty()) fail_file(spec, "no member after '#' (e.g. aclImdb.tar.gz#aclImdb/train)");
  const bool file_member = file_kind(member) != FileKind::kUnknown;
  ArchiveSelection selection = read_archive_members(archive, member, file_member ? std::vector<std::string>{} : kImdbDirs);
  if (selection.found_file) {
    if (!file_member) fail_file(spec, std::string("unknown dataset format (") + kFormats + ")");
    return read_file_contents(selection.file.contents, spec, options);
  }
  if (file_member) fail_file(archive, "no file " + single_quoted(member) + " in the archive");
  std::vector<std::pair<std::string, size_t>> order;  // (sub/name, index) sorted like a directory read
  std::vector<std::string> subs, names;
  for (size_t i = 0; i < selection.children.size(); i++) {
    const std::string& path = selection.children[i].path;
    const size_t slash = path.rfind('/');
    const std::string name = path.substr(slash + 1);
    const size_t sub_slash = path.rfind('/', slash - 1);
    const std::string sub = path.substr(sub_slash + 1, slash - sub_slash - 1);
    subs.push_back(sub);
    names.push_back(name);
    if (is_text_file_name(name)) order.emplace_back(sub + "/" + name, i);
  }
  if (order.empty())
    fail_file(archive, "no member " + single_quoted(member) +
                           " that is a data file or an aclImdb-style directory with pos/*.txt or neg/*.txt");
  std::sort(order.begin(), order.end());
  std::vector<RawExample> out;
  out.reserve(order.size());
  for (const auto& [key, i] : order)
    out.push_back(imdb_example(std::move(selection.children[i].contents), subs[i], names[i],
                               selection.children[i].path, options));
  return out;
}

std::vector<RawExample> read_raw(const std::string& spec, const DatasetOptions& options) {
  std::error_code ec;
  if (fs::is_directory(spec, ec)) return read_imdb_directory(spec, options);
  if (fs::exists(spec, ec)) {
    if (is_archive_name(spec))
      fail_file(spec, "an archive: name the data inside it after '#', e.g. " + spec + "#aclImdb/train");
    if (file_kind(spec) == FileKind::kUnknown)
      fail_file(spec, std::string("unknown dataset format (") + kFormats + ")");
    return read_file_contents(read_file(spec), spec, options);
  }
  for (size_t hash = spec.find('#'); hash != std::string::npos; hash = spec.find('#', hash + 1)) {
    const std::string archive = spec.substr(0, hash);
    if (fs::is_regular_file(archive, ec)) {
      std::string member = spec.substr(hash + 1);
      while (member.size() >= 2 && member.compare(0, 2, "./") == 0) member.erase(0, 2);
      while (!member.empty() && member.back() == '/') member.pop_back();
      return read_archive(archive, member, options);
    }
  }
  fail_file(spec, "no such file or directory");
}

// ---- labels -------------------------------------------------------------------------------------

// Class ids from a fixed list of class names: when every label is one of the names, its position;
// else every label must be an integer: 0-based ids, or 1-based when none is 0 and the largest is
// the number of names.
void assign_listed_classes(const std::vector<RawExample>& raw, const std::vector<std::string>& names,
                           Dataset& dataset) {
  std::map<std::string, int> position;
  for (size_t i = 0; i < names.size(); i++) position.emplace(names[i], static_cast<int>(i));
  dataset.label_names = names;
  const bool all_named =
      std::all_of(raw.begin(), raw.end(), [&](const RawExample& r) { return position.count(r.label) > 0; });
  if (all_named) {
    for (size_t i = 0; i < raw.size(); i++) dataset.examples[i].label = position.at(raw[i].label);
    return;
  }
  int64_t min_id = INT64_MAX, max_id = INT64_MIN;
  for (const RawExample& r : raw) {
    const auto id = parse_integer(r.label);
    if (!id) fail_file(r.origin, "label " + single_quoted(r.label) + " is not in --label-names (" + join(names) + ")");
    min_id = std::min(min_id, *id);
    max_id = std::max(max_id, *id);
  }
  const int64_t n = static_cast<int64_t>(names.size());
  const int64_t base = min_id >= 1 && max_id == n ? 1 : 0;
  for (size_t i = 0; i < raw.size(); i++) {
    const int64_t id = *parse_integer(raw[i].label) - base;
    if (id < 0 || id >= n)
      fail_file(raw[i].origin, "label " + raw[i].label + " has no name: --label-names gives " + std::to_string(n) +
                                   " classes (ids 0.." + std::to_string(n - 1) + ", or 1.." + std::to_string(n) + ")");
    dataset.examples[i].label = static_cast<int>(id);
  }
}

Dataset resolve_label_ids(std::vector<RawExample>& raw, const std::string& spec, const DatasetOptions& options) {
  if (raw.empty()) fail_file(spec, "no examples");
  Dataset dataset;
  dataset.examples.resize(raw.size());
  for (size_t i = 0; i < raw.size(); i++) {
    Example& ex = dataset.examples[i];
    ex.text = std::move(raw[i].text);
    ex.text_pair = std::move(raw[i].text_pair);
    ex.rating = raw[i].rating;
    ex.probs = std::move(raw[i].probs);
    ex.origin = raw[i].origin;
  }
  if (options.label_from != "label" && options.label_from != "rating")
    throw Error("--label-from must be label or rating, not " + single_quoted(options.label_from));
  std::vector<std::string> class_order = options.label_names;
  if (options.label_from == "rating") {
    std::set<int> ratings;
    for (RawExample& r : raw) {
      if (r.rating < 0)
        fail_file(r.origin, "--label-from rating: no star rating in the name (expected aclImdb's ID_RATING.txt)");
      r.label = std::to_string(r.rating);
      r.label_is_json_int = false;
      ratings.insert(r.rating);
    }
    bool all_known = !options.known_labels.empty();
    for (int rating : ratings)
      all_known = all_known && std::count(options.known_labels.begin(), options.known_labels.end(),
                                          std::to_string(rating));
    if (class_order.empty() && options.label_map.empty()) {
      if (all_known) {
        class_order = options.known_labels;
      } else {
        for (int rating : ratings) class_order.push_back(std::to_string(rating));
      }
    }
  }
  if (!class_order.empty()) {
    if (!options.label_map.empty()) throw Error("give --label-names or --label-map, not both");
    assign_listed_classes(raw, class_order, dataset);
    return dataset;
  }
  bool ids = false;
  if (!options.label_map.empty()) {
    std::map<std::string, std::string> map(options.label_map.begin(), options.label_map.end());
    for (RawExample& r : raw) {
      const auto it = map.find(r.label);
      if (it == map.end())
        fail_file(r.origin, "label " + single_quoted(r.label) + " is not in --label-map");
      r.label = it->second;
    }
  } else {
    // JSON: the first record's kind rules; mixing is an error. CSV/TSV: ids if every label is one.
    bool all_integers = true;
    for (const RawExample& r : raw) {
      if (r.label_is_json_int != raw[0].label_is_json_int)
        fail_file(r.origin, std::string("label is ") + (r.label_is_json_int ? "an integer" : "a string") +
                                " but the first label (" + raw[0].origin + ") is " +
                                (raw[0].label_is_json_int ? "an integer" : "a string"));
      all_integers = all_integers && parse_integer(r.label).has_value();
    }
    ids = raw[0].label_is_json_int || all_integers;
  }
  if (ids) {
    int64_t max_id = -1;
    for (size_t i = 0; i < raw.size(); i++) {
      const int64_t id = *parse_integer(raw[i].label);
      if (id < 0 || id > kMaxClassId)
        fail_file(raw[i].origin, "label " + raw[i].label + " is not a class id (expected 0.." +
                                     std::to_string(kMaxClassId) + (id < 0 ? "; -1 usually means unlabeled)" : ")"));
      dataset.examples[i].label = static_cast<int>(id);
      max_id = std::max(max_id, id);
    }
    if (!options.known_labels.empty() && max_id < static_cast<int64_t>(options.known_labels.size())) {
      dataset.label_names = options.known_labels;
    } else {
      for (int64_t i = 0; i <= max_id; i++) dataset.label_names.push_back("LABEL_" + std::to_string(i));
    }
  } else {
    std::map<std::string, int> known;
    for (size_t i = 0; i < options.known_labels.size(); i++) known.emplace(options.known_labels[i], static_cast<int>(i));
    bool all_known = !known.empty();
    std::map<std::string, int> ids_by_name;
    for (const RawExample& r : raw) {
      ids_by_name.emplace(r.label, 0);
      all_known = all_known && known.count(r.label);
    }
    if (all_known) {
      ids_by_name = known;
      dataset.label_names = options.known_labels;
    } else {
      int next = 0;
      for (auto& [name, id] : ids_by_name) {
        id = next++;
        dataset.label_names.push_back(name);
      }
    }
    for (size_t i = 0; i < raw.size(); i++) dataset.examples[i].label = ids_by_name.at(raw[i].label);
  }
  return dataset;
}

// Soft labels given by name ("probs": {LABEL: P, ...}) in class-id order, once the classes are known.
Dataset resolve_labels(std::vector<RawExample> raw, const std::string& spec, const DatasetOptions& options) {
  Dataset dataset = resolve_label_ids(raw, spec, options);
  const std::vector<std::string>& names = dataset.label_names;
  for (size_t i = 0; i < raw.size(); i++) {
    if (raw[i].named_probs.empty()) continue;
    std::vector<float>& probs = dataset.examples[i].probs;
    probs.assign(names.size(), -1.0f);
    for (const auto& [name, p] : raw[i].named_probs) {
      const auto it = std::find(names.begin(), names.end(), name);
      if (it == names.end())
        fail_file(raw[i].origin, "'probs' names " + single_quoted(name) + ", not one of the data's classes [" +
                                     join(names) + "]");
      probs[it - names.begin()] = p;
    }
    if (std::count(probs.begin(), probs.end(), -1.0f) > 0)
      fail_file(raw[i].origin, "'probs' has " + std::to_string(raw[i].named_probs.size()) +
                                   " values but the data has " + std::to_string(names.size()) + " classes [" +
                                   join(names) + "]");
  }
  return dataset;
}

// Soft labels need one probability per class, which is known only once the labels are resolved.
Dataset check_probs(Dataset dataset) {
  for (const Example& ex : dataset.examples)
    if (!ex.probs.empty() && ex.probs.size() != dataset.label_names.size())
      fail_file(ex.origin, "'probs' has " + std::to_string(ex.probs.size()) + " values but the data has " +
                               std::to_string(dataset.label_names.size()) + " classes [" + join(dataset.label_names) +
                               "]");
  return dataset;
}

Dataset subset(const Dataset& dataset, const std::vector<size_t>& indexes) {
  Dataset out;
  out.label_names = dataset.label_names;
  out.examples.reserve(indexes.size());
  for (size_t i : indexes) out.examples.push_back(dataset.examples[i]);
  return out;
}

Dataset sample(Dataset dataset, const DatasetOptions& options);

}  // namespace

std::string strip_html_breaks(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '<' && i + 3 < text.size() && (text[i + 1] == 'b' || text[i + 1] == 'B') &&
        (text[i + 2] == 'r' || text[i + 2] == 'R')) {
      size_t j = i + 3;
      while (j < text.size() && text[j] == ' ') j++;
      if (j < text.size() && text[j] == '/') j++;
      if (j < text.size() && text[j] == '>') {
        out += ' ';
        i = j + 1;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

std::string label_mismatch(const std::vector<std::string>& data_labels, const std::vector<std::string>& model_labels) {
  std::string message = "the data's labels [" + join(data_labels) + "] differ from the model's id2label [" +
                        join(model_labels) + "]";
  if (data_labels.size() != model_labels.size())
    return message + "; --label-map \"DATA=MODEL,...\" renames the data's labels";
  std::string map;
  for (size_t i = 0; i < data_labels.size(); i++)
    map += (i ? "," : "") + data_labels[i] + "=" + model_labels[i];
  return message + "; if they mean the same, say so with --label-map \"" + map + "\"";
}

std::vector<std::pair<std::string, std::string>> parse_label_map(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    const std::string entry = text.substr(pos, comma - pos);
    pos = comma + 1;
    if (trim(entry).empty() && comma == text.size() && !out.empty()) break;  // trailing comma
    const size_t eq = entry.find('=');
    if (eq == std::string::npos || entry.find('=', eq + 1) != std::string::npos)
      throw Error("--label-map: " + single_quoted(entry) + ": expected VALUE=NAME, e.g. \"4=positive,0=negative\"");
    std::string value = trim(entry.substr(0, eq)), name = trim(entry.substr(eq + 1));
    if (value.empty() || name.empty())
      throw Error("--label-map: " + single_quoted(entry) + ": empty value or name");
    for (const auto& [v, n] : out)
      if (v == value) throw Error("--label-map: value " + single_quoted(value) + " given twice");
    out.emplace_back(std::move(value), std::move(name));
  }
  return out;
}

std::vector<std::string> parse_name_list(const std::string& text, const std::string& option) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    std::string name = trim(text.substr(pos, comma - pos));
    if (name.empty()) throw Error(option + ": " + single_quoted(text) + ": an empty name");
    out.push_back(std::move(name));
    pos = comma + 1;
  }
  return out;
}

std::vector<std::string> read_label_names(const std::string& file_or_list) {
  std::vector<std::string> names;
  std::error_code ec;
  if (fs::is_regular_file(file_or_list, ec)) {
    const std::string text = read_file(file_or_list);
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      std::string name = trim(text.substr(pos, end - pos));
      if (!name.empty()) names.push_back(std::move(name));
      pos = end + 1;
    }
    if (names.empty()) fail_file(file_or_list, "--label-names: no names in the file");
  } else {
    names = parse_name_list(file_or_list, "--label-names");
  }
  for (size_t i = 0; i < names.size(); i++)
    for (size_t j = 0; j < i; j++)
      if (names[i] == names[j]) throw Error("--label-names: " + single_quoted(names[i]) + " given twice");
  return names;
}

Dataset load_dataset(const std::string& spec, const DatasetOptions& options) {
  return sample(check_probs(resolve_labels(read_raw(spec, options), spec, options)), options);
}

std::vector<Example> load_texts(const std::string& spec, DatasetOptions options) {
  options.unlabeled = true;
  std::vector<Example> texts;
  for (RawExample& raw : read_raw(spec, options)) {
    Example& ex = texts.emplace_back();
    ex.text = std::move(raw.text);
    ex.text_pair = std::move(raw.text_pair);
    ex.rating = raw.rating;
    ex.origin = std::move(raw.origin);
  }
  return texts;
}

Dataset parse_dataset_text(const std::string& data, const std::string& name, const DatasetOptions& options) {
  return sample(check_probs(resolve_labels(read_file_contents(data, name, options), name, options)), options);
}

namespace {

Dataset sample(Dataset dataset, const DatasetOptions& options) {
  if (options.max_samples == 0 || options.max_samples >= dataset.examples.size()) return dataset;
  std::vector<size_t> order(dataset.examples.size());
  for (size_t i = 0; i < order.size(); i++) order[i] = i;
  DataRng rng(kSampleSeed);
  rng.shuffle(order);
  order.resize(options.max_samples);
  std::sort(order.begin(), order.end());
  return subset(dataset, order);
}

}  // namespace

std::pair<Dataset, Dataset> stratified_split(const Dataset& dataset, double valid_fraction, uint64_t seed) {
  if (!(valid_fraction > 0.0 && valid_fraction < 1.0))
    throw Error("validation fraction must be between 0 and 1 (exclusive), got " + std::to_string(valid_fraction));
  const size_t n = dataset.examples.size();
  int classes = static_cast<int>(dataset.label_names.size());
  for (const Example& ex : dataset.examples) classes = std::max(classes, ex.label + 1);
  std::vector<std::vector<size_t>> by_class(classes);
  for (size_t i = 0; i < n; i++) by_class[dataset.examples[i].label].push_back(i);
  // Largest-remainder apportionment of round(n * f) validation examples over the classes.
  const size_t total = static_cast<size_t>(std::llround(static_cast<double>(n) * valid_fraction));
  std::vector<size_t> take(classes);
  std::vector<std::pair<double, int>> remainders;
  size_t assigned = 0;
  for (int c = 0; c < classes; c++) {
    const double exact = static_cast<double>(by_class[c].size()) * valid_fraction;
    take[c] = static_cast<size_t>(std::floor(exact));
    assigned += take[c];
    remainders.emplace_back(-(exact - std::floor(exact)), c);
  }
  std::sort(remainders.begin(), remainders.end());
  for (size_t k = 0; assigned < total && k < remainders.size(); k++) {
    const int c = remainders[k].second;
    if (take[c] < by_class[c].size()) {
      take[c]++;
      assigned++;
    }
  }
  std::vector<char> in_valid(n, 0);
  for (int c = 0; c < classes; c++) {
    DataRng rng(seed ^ (0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(c + 1)));
    std::vector<size_t> members = by_class[c];
    rng.shuffle(members);
    for (size_t k = 0; k < take[c]; k++) in_valid[members[k]] = 1;
  }
  std::vector<size_t> train, valid;
  for (size_t i = 0; i < n; i++) (in_valid[i] ? valid : train).push_back(i);
  return {subset(dataset, train), subset(dataset, valid)};
}

}  // namespace bertft
