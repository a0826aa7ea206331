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

// The temporary name a write of `path` by this process goes under: "PATH.tmp.PID".
std::string temporary_path(const std::string& path);

// Removes the temporaries (files or directories) of writes into `dir` whose process was killed before it
// could rename them into place: entries named NAME.tmp.PID (see temporary_path) whose PID no longer
// runs; only those of the file `name` when it is given. A missing `dir` holds none.
void remove_stale_temporaries(const std::string& dir, const std::string& name = "");

// Checks, before a command reads its input, that what it will write can be written, so that it does not
// fail at the end of its work: throw Error("OPTION PATH: problem"). An output directory must be a
// directory we may write into, or not exist yet under a directory we may write into; an output file's
// directory must exist and be writable, and the file must not be a directory.
void check_output_dir(const std::string& option, const std::string& dir);
void check_output_file(const std::string& option, const std::string& path);

// std::filesystem::create_directories, throwing Error("path: cannot create directory: reason").
void make_directories(const std::string& dir);

// Opens a file to stream from; throws Error("path: is a directory" / "path: cannot open: reason").
std::ifstream open_input_file(const std::string& path);

bool file_exists(const std::string& path);

// The path of `name` inside `dir`.
std::string path_in(const std::string& dir, const std::string& name);

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
