#pragma once
// A gtest fixture with a fresh directory per test and helpers that write text files and .tar.gz
// archives into it, for the readers of datasets and corpora.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

namespace bertft::test {

// Writes each (path, contents) of `entries` into `a` as a regular file.
template <class Entries>
void write_archive_entries(struct archive* a, const Entries& entries) {
  for (const auto& [member, contents] : entries) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, member.c_str());
    archive_entry_set_size(e, static_cast<la_int64_t>(contents.size()));
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_write_header(a, e);
    archive_write_data(a, contents.data(), contents.size());
    archive_entry_free(e);
  }
}

class TempFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("bertft_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->test_suite_name() + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes `contents` to dir_/name (creating its folders); returns the path.
  std::string write(const std::string& name, const std::string& contents) {
    const std::filesystem::path path = dir_ / name;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << contents;
    return path.string();
  }

  // A .tar.gz holding `files` (path -> contents); returns its path.
  std::string write_tar_gz(const std::string& name, const std::map<std::string, std::string>& files) {
    const std::string path = (dir_ / name).string();
    struct archive* a = archive_write_new();
    archive_write_add_filter_gzip(a);
    archive_write_set_format_pax_restricted(a);
    EXPECT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
    write_archive_entries(a, files);
    archive_write_close(a);
    archive_write_free(a);
    return path;
  }

  std::filesystem::path dir_;
};

}  // namespace bertft::test
