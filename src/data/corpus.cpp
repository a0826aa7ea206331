#include "data/corpus.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>

#include "common/error.h"
#include "common/io.h"
#include "common/json_input.h"
#include "data/archive.h"
#include "data/text_files.h"
#include "tokenizer/tokenizer.h"

namespace bertft {
namespace {

namespace fs = std::filesystem;

// Sorted, so that reading them in this order is the byte-wise order of "sub/name".
const std::vector<std::string> kImdbDirs = {"neg", "pos", "unsup"};

std::string clean(std::string text, const CorpusOptions& options) { return clean_text(std::move(text), options.strip_html); }

// Calls on_line(line, line_number) for every line ("\r\n" or "\n" ended) that is not blank.
template <class OnLine>
void for_each_line(const std::string& data, OnLine&& on_line) {
  size_t pos = 0;
  int64_t number = 0;
  while (pos < data.size()) {
    size_t end = data.find('\n', pos);
    if (end == std::string::npos) end = data.size();
    std::string_view line(data.data() + pos, end - pos);
    pos = end + 1;
    number++;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!is_blank(line)) on_line(line, number);
  }
}

void read_text_lines(const std::string& data, const std::string& name, const CorpusOptions& options,
                     std::vector<Document>& out) {
  for_each_line(data, [&](std::string_view line, int64_t number) {
    out.push_back({clean(std::string(line), options), name + ":" + std::to_string(number)});
  });
}

void read_json_lines(const std::string& data, const std::string& name, const CorpusOptions& options,
                     std::vector<Document>& out) {
  std::string key = options.text_column;
  for_each_line(data, [&](std::string_view view, int64_t number) {
    const std::string where = name + ":" + std::to_string(number);
    std::string line(view);
    sanitize_utf8(line);  // a stray byte inside a string must not make the record unparseable
    const nlohmann::json object = parse_json_input(line, where);
    if (!object.is_object())
      fail_file(where, "expected a JSON object like {\"text\": \"...\"}, got " + brief(object));
    if (key.empty()) {
      for (const std::string& k : kTextColumnNames)
        if (object.contains(k)) {
          key = k;
          break;
        }
      if (key.empty()) fail_file(where, "no text field (looked for text, review, sentence, content; use --text-column)");
    }
    const JsonField text = JsonField(object, where)[key];
    if (text.absent()) fail_file(where, "missing " + single_quoted(key));
    out.push_back({clean(text.as_string(), options), where});
  });
}

void read_contents(const std::string& data, const std::string& name, const CorpusOptions& options,
                   std::vector<Document>& out) {
  if (is_json_lines_name(name))
    read_json_lines(data, name, options, out);
  else
    read_text_lines(data, name, options, out);
}

// The *.txt files directly in `dir`, sorted by name.
std::vector<std::string> text_files_in(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (is_text_file_name(name) && entry.is_regular_file()) names.push_back(name);
  }
  if (ec) fail_file(dir.string(), "cannot list: " + ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

void read_directory(const std::string& dir, const CorpusOptions& options, std::vector<Document>& out) {
  bool any_sub = false;
  for (const std::string& sub : kImdbDirs) {
    const fs::path path = fs::path(dir) / sub;
    std::error_code ec;
    if (!fs::is_directory(path, ec)) continue;
    any_sub = true;
    for (const std::string& name : text_files_in(path)) {
      const std::string file = (path / name).string();
      out.push_back({clean(read_file(file), options), file});
    }
  }
  if (any_sub) return;
  const std::vector<std::string> names = text_files_in(dir);
  if (names.empty()) fail_file(dir, "no *.txt documents in it or in pos/, neg/, unsup/");
  for (const std::string& name : names) {
    const std::string file = (fs::path(dir) / name).string();
    out.push_back({clean(read_file(file), options), file});
  }
}

void take_members(std::vector<ArchiveMember>& members, const std::string& archive, const CorpusOptions& options,
                  std::vector<Document>& out) {
  std::vector<std::pair<std::string, size_t>> order;
  for (size_t i = 0; i < members.size(); i++) {
    const std::string& path = members[i].path;
    if (is_text_file_name(std::string_view(path).substr(path.rfind('/') + 1))) order.emplace_back(path, i);
  }
  std::sort(order.begin(), order.end());
  for (const auto& [path, i] : order)
    out.push_back({clean(std::move(members[i].contents), options), archive + "#" + path});
}

void read_archive(const std::string& archive, std::string member, const CorpusOptions& options,
                  std::vector<Document>& out) {
  while (member.size() >= 2 && member.compare(0, 2, "./") == 0) member.erase(0, 2);
  while (!member.empty() && member.back() == '/') member.pop_back();
  const std::string spec = archive + "#" + member;
  if (member.empty()) fail_file(spec, "no member after '#' (e.g. aclImdb.tar.gz#aclImdb/train)");
  ArchiveSelection selection = read_archive_members(archive, member, kImdbDirs);
  if (selection.found_file) {
    read_contents(selection.file.contents, spec, options, out);
    return;
  }
  if (!selection.children.empty()) {
    take_members(selection.children, archive, options, out);
    return;
  }
  // No pos/neg/unsup below it: the member may be a directory of documents itself, which
  // read_archive_members gives as the subdirectory of its parent (a second pass over the archive).
  const size_t slash = member.rfind('/');
  const std::string parent = slash == std::string::npos ? "" : member.substr(0, slash);
  const std::string last = member.substr(slash == std::string::npos ? 0 : slash + 1);
  if (!parent.empty()) {
    selection = read_archive_members(archive, parent, {last});
    take_members(selection.children, archive, options, out);
  }
  if (out.empty())
    fail_file(archive, "no member " + single_quoted(member) +
                           " that is a file or a directory with *.txt documents (directly or in pos/, neg/, unsup/)");
}

}  // namespace

std::vector<Document> load_corpus_spec(const std::string& spec, const CorpusOptions& options) {
  std::vector<Document> out;
  std::error_code ec;
  if (fs::is_directory(spec, ec)) {
    read_directory(spec, options, out);
  } else if (fs::exists(spec, ec)) {
    if (is_archive_name(spec))
      fail_file(spec, "an archive: name the data inside it after '#', e.g. " + spec + "#aclImdb/train");
    read_contents(read_file(spec), spec, options, out);
  } else {
    bool found = false;
    for (size_t hash = spec.find('#'); hash != std::string::npos && !found; hash = spec.find('#', hash + 1)) {
      const std::string archive = spec.substr(0, hash);
      if (fs::is_regular_file(archive, ec)) {
        read_archive(archive, spec.substr(hash + 1), options, out);
        found = true;
      }
    }
    if (!found) fail_file(spec, "no such file or directory");
  }
  if (out.empty()) fail_file(spec, "no documents");
  return out;
}

std::vector<Document> load_corpus(const std::vector<std::string>& specs, const CorpusOptions& options) {
  if (specs.empty()) throw Error("no corpus given");
  std::vector<Document> out;
  for (const std::string& spec : specs) {
    std::vector<Document> part = load_corpus_spec(spec, options);
    if (out.empty()) {
      out = std::move(part);
    } else {
      out.insert(out.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
    }
  }
  return out;
}

}  // namespace bertft
