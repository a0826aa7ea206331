#include "data/archive.h"

#include <archive.h>
#include <archive_entry.h>

#include <memory>

#include "common/archive_message.h"
#include "common/error.h"

namespace bertft {

namespace {

struct ArchiveCloser {
  void operator()(struct archive* a) const { archive_read_free(a); }
};

std::string normalize(std::string path) {
  while (path.size() >= 2 && path.compare(0, 2, "./") == 0) path.erase(0, 2);
  while (!path.empty() && path.back() == '/') path.pop_back();
  return path;
}

void read_data(struct archive* a, const std::string& archive_path, const std::string& entry,
               std::string& out) {
  out.clear();
  char buffer[1 << 16];
  while (true) {
    const la_ssize_t n = archive_read_data(a, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) fail_file(archive_path + "#" + entry, "cannot read: " + archive_message(a));
    out.append(buffer, static_cast<size_t>(n));
  }
}

}  // namespace

ArchiveSelection read_archive_members(const std::string& archive_path, const std::string& member,
                                      const std::vector<std::string>& subdirs) {
  std::unique_ptr<struct archive, ArchiveCloser> a(archive_read_new());
  if (!a) fail_file(archive_path, "cannot allocate an archive reader");
  archive_read_support_filter_all(a.get());
  archive_read_support_format_all(a.get());
  if (archive_read_open_filename(a.get(), archive_path.c_str(), 1 << 20) != ARCHIVE_OK)
    fail_file(archive_path, "cannot open as an archive: " + archive_message(a.get()));
  const std::string want = normalize(member);
  ArchiveSelection selection;
  struct archive_entry* entry = nullptr;
  while (true) {
    const int status = archive_read_next_header(a.get(), &entry);
    if (status == ARCHIVE_EOF) break;
    if (status < ARCHIVE_WARN) fail_file(archive_path, "cannot read: " + archive_message(a.get()));
    const char* raw_name = archive_entry_pathname(entry);
    const std::string path = normalize(raw_name ? raw_name : "");
    const bool regular = archive_entry_filetype(entry) == AE_IFREG;
    if (regular && path == want) {
      selection.found_file = true;
      selection.file.path = path;
      read_data(a.get(), archive_path, path, selection.file.contents);
      selection.children.clear();
      return selection;
    }
    bool take = false;
    if (regular && path.size() > want.size() + 1 && path.compare(0, want.size(), want) == 0 &&
        path[want.size()] == '/') {
      const std::string rest = path.substr(want.size() + 1);
      const size_t slash = rest.find('/');
      if (slash != std::string::npos && rest.find('/', slash + 1) == std::string::npos) {
        const std::string sub = rest.substr(0, slash);
        for (const std::string& s : subdirs) take = take || s == sub;
      }
    }
    if (take) {
      ArchiveMember m;
      m.path = path;
      read_data(a.get(), archive_path, path, m.contents);
      selection.children.push_back(std::move(m));
    } else if (archive_read_data_skip(a.get()) < ARCHIVE_WARN) {
      fail_file(archive_path, "cannot read: " + archive_message(a.get()));
    }
  }
  return selection;
}

}  // namespace bertft
