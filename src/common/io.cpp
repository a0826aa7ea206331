#include "common/io.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"

namespace bertft {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail_file(path, std::string("cannot open: ") + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) fail_file(path, "read error");
  return std::move(buffer).str();
}

std::ifstream open_input_file(const std::string& path) {
  if (std::filesystem::is_directory(path)) fail_file(path, "is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail_file(path, std::string("cannot open: ") + std::strerror(errno));
  return in;
}

bool file_exists(const std::string& path) { return std::filesystem::is_regular_file(path); }

std::string path_in(const std::string& dir, const std::string& name) {
  return (std::filesystem::path(dir) / name).string();
}

std::string temporary_path(const std::string& path) { return path + ".tmp." + std::to_string(getpid()); }

void remove_stale_temporaries(const std::string& dir, const std::string& name) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string file = entry.path().filename().string();
    const size_t mark = file.rfind(".tmp.");
    if (mark == std::string::npos || (!name.empty() && file.substr(0, mark) != name)) continue;
    const char* pid_text = file.c_str() + mark + 5;
    const char* end = file.c_str() + file.size();
    pid_t pid = 0;
    const auto parsed = std::from_chars(pid_text, end, pid);
    if (parsed.ec != std::errc() || parsed.ptr != end || pid <= 0) continue;
    if (::kill(pid, 0) == 0 || errno == EPERM) continue;  // its writer may still rename it into place
    std::filesystem::remove_all(entry.path(), ec);
  }
}

namespace {

namespace fs = std::filesystem;

// std::filesystem's, with an error (e.g. permission to look) taken as "no".
bool path_exists(const fs::path& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

bool path_is_directory(const fs::path& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

// `dir`, which `path` is or will be in, must be a directory this process may create files in.
void require_writable_directory(const std::string& option, const std::string& path, const fs::path& dir) {
  if (!path_is_directory(dir)) throw Error(option + " " + path + ": " + dir.string() + " is a file, not a directory");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw Error(option + " " + path + ": cannot write into " + dir.string() + ": " + std::strerror(errno));
}

}  // namespace

void check_output_dir(const std::string& option, const std::string& dir) {
  if (path_exists(dir) && !path_is_directory(dir)) throw Error(option + " " + dir + ": is a file, not a directory");
  // The directory itself, or the nearest one above it that exists: where it will be created.
  fs::path existing = fs::absolute(dir).lexically_normal();
  while (!path_exists(existing) && existing != existing.parent_path()) existing = existing.parent_path();
  require_writable_directory(option, dir, existing);
}

void check_output_file(const std::string& option, const std::string& path) {
  if (path_is_directory(path)) throw Error(option + " " + path + ": is a directory");
  const fs::path parent = fs::absolute(path).parent_path();
  if (!path_exists(parent)) throw Error(option + " " + path + ": directory " + parent.string() + " does not exist");
  require_writable_directory(option, path, parent);
}

void make_directories(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail_file(dir, "cannot create directory: " + ec.message());
}

void write_file_atomic(const std::string& path, std::string_view contents) {
  const std::string tmp = temporary_path(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail_file(path, std::string("cannot create: ") + std::strerror(errno));
  const char* p = contents.data();
  size_t left = contents.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      fail_file(path, std::string("write failed: ") + std::strerror(err));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    fail_file(path, std::string("write failed: ") + std::strerror(errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    fail_file(path, std::string("cannot rename into place: ") + std::strerror(err));
  }
}

MappedFile::MappedFile(const std::string& path) : path_(path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail_file(path, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail_file(path, "not a regular file");
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {
    void* m = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      ::close(fd);
      fail_file(path, std::string("cannot map: ") + std::strerror(errno));
    }
    data_ = static_cast<const unsigned char*>(m);
  }
  ::close(fd);
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<unsigned char*>(data_), size_);
}

}  // namespace bertft
