#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "common/error.h"
#include "common/io.h"
#include "temp_files.h"
#include "test_util.h"

namespace bertft {
namespace {

namespace fs = std::filesystem;
using test::thrown_error;

class OutputFilesTest : public test::TempFilesTest {
 protected:
  std::string output() const { return dir_.string(); }
};

pid_t dead_pid() {
  const pid_t pid = fork();
  if (pid == 0) _exit(0);
  waitpid(pid, nullptr, 0);
  return pid;
}

TEST_F(OutputFilesTest, StaleTemporariesOfKilledWritersAreRemoved) {
  const std::string dead = std::to_string(dead_pid()), alive = std::to_string(getpid());
  write("metrics.json.tmp." + dead, "");
  write("checkpoint-4.tmp." + dead + "/model.safetensors", "");
  write("config.json.tmp." + alive, "");
  write("notes.tmp.txt", "");
  write("log.jsonl.tmp." + dead, "");
  write("other.jsonl.tmp." + dead, "");
  remove_stale_temporaries(output(), "log.jsonl");
  EXPECT_FALSE(fs::exists(dir_ / ("log.jsonl.tmp." + dead)));
  EXPECT_TRUE(fs::exists(dir_ / ("metrics.json.tmp." + dead)));  // not the named file's
  remove_stale_temporaries(output());
  EXPECT_FALSE(fs::exists(dir_ / ("metrics.json.tmp." + dead)));
  EXPECT_FALSE(fs::exists(dir_ / ("checkpoint-4.tmp." + dead)));
  EXPECT_FALSE(fs::exists(dir_ / ("other.jsonl.tmp." + dead)));
  EXPECT_TRUE(fs::exists(dir_ / ("config.json.tmp." + alive)));
  EXPECT_TRUE(fs::exists(dir_ / "notes.tmp.txt"));
  remove_stale_temporaries((dir_ / "missing").string());
}

TEST_F(OutputFilesTest, OutputsThatCannotBeWrittenAreNamed) {
  const std::string file = write("a-file", "x");
  EXPECT_EQ(thrown_error([&] { check_output_dir("--output", file); }),
            "--output " + file + ": is a file, not a directory");
  EXPECT_EQ(thrown_error([&] { check_output_dir("--output", file + "/run"); }),
            "--output " + file + "/run: " + file + " is a file, not a directory");
  EXPECT_EQ(thrown_error([&] { check_output_dir("--output", output() + "/new/deeper"); }), "");
  EXPECT_EQ(thrown_error([&] { check_output_file("--errors", output()); }),
            "--errors " + output() + ": is a directory");
  EXPECT_EQ(thrown_error([&] { check_output_file("--errors", output() + "/none/x.jsonl"); }),
            "--errors " + output() + "/none/x.jsonl: directory " + output() + "/none does not exist");
  EXPECT_EQ(thrown_error([&] { check_output_file("--errors", output() + "/x.jsonl"); }), "");
  EXPECT_FALSE(fs::exists(dir_ / "new"));  // checking creates nothing
  EXPECT_EQ(thrown_error([&] { make_directories(file + "/run"); }).rfind(file + "/run: cannot create directory: ", 0),
            0u);
}

}  // namespace
}  // namespace bertft
