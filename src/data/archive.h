#pragma once
// Reading members out of an archive (anything libarchive reads: .tar.gz, .tgz, .tar, .zip, ...).
#include <string>
#include <vector>

namespace bertft {

struct ArchiveMember {
  std::string path;  // inside the archive, without a leading "./"
  std::string contents;
};

struct ArchiveSelection {
  bool found_file = false;              // `member` itself is a regular file
  ArchiveMember file;                   // ... and this is it
  std::vector<ArchiveMember> children;  // regular files DIR/SUB/NAME for SUB in `subdirs`
};

// One pass over `archive_path`: returns the member named `member` if it is a regular file (and stops
// there), else the regular files directly inside member/SUB/ for each SUB in `subdirs`, in archive
// order. Throws Error("ARCHIVE: ...") if the archive cannot be read.
ArchiveSelection read_archive_members(const std::string& archive_path, const std::string& member,
                                      const std::vector<std::string>& subdirs);

}  // namespace bertft
