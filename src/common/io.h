#pragma once
// File helpers shared by every stage: whole-file reads with clear errors, atomic writes.
#include <cstddef>
#include <fstream>
#include <string>
#include <string_view>

namespace bertft {

// Reads a whole file; throws Error("path: cannot open: reason") on failure.
std::string read_file(const std::string& path);

// Writes via a temporary file in the same directory + fsync + rename, so a reader (or a crash)
// never sees a half-written file.
void write_file_atomic(const std::string& path, std::string_view contents);

// Opens a file to stream from; throws Error("path: is a directory" / "path: cannot open: reason").
std::ifstream open_input_file(const std::string& path);

bool file_exists(const std::string& path);

// Read-only memory map of a whole file (empty files map to size 0). Unmapped on destruction.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const unsigned char* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const unsigned char* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace bertft
