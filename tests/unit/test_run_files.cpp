#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.h"
#include "temp_files.h"
#include "test_util.h"
#include "training/run_files.h"

namespace bertft {
namespace {

namespace fs = std::filesystem;
using test::thrown_error;
using json = nlohmann::json;

class RunFilesTest : public test::TempFilesTest {
 protected:
  std::string dir(const std::string& name) {
    fs::create_directories(dir_ / name);
    return (dir_ / name).string();
  }
  std::string output() const { return dir_.string(); }
};

TEST_F(RunFilesTest, OnlyNumberedDirectoriesAreCheckpoints) {
  for (const char* name : {"checkpoint-20", "checkpoint-3", "checkpoint-99999999999999999999", "checkpoint-",
                           "checkpoint-12abc", "checkpoint--1", "checkpoint-4.unreadable", "checkpoint-5.tmp.77"})
    dir(name);
  write("checkpoint-7", "a file");
  const auto found = list_checkpoints(output());
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].first, 3);
  EXPECT_EQ(found[1].first, 20);
  EXPECT_TRUE(list_checkpoints((dir_ / "missing").string()).empty());
}

TEST_F(RunFilesTest, CheckpointsAreContinuedOnlyWithResume) {
  dir("checkpoint-2");
  EXPECT_NE(thrown_error([&] { prepare_output(output(), "", false); }).find("pass --resume"), std::string::npos);
  EXPECT_EQ(thrown_error([&] { prepare_output(output(), "", true); }), "");
}

TEST_F(RunFilesTest, TheLogMayGoIntoTheOutputTheRunWillCreate) {
  const std::string run = output() + "/run";
  EXPECT_EQ(thrown_error([&] { prepare_output(run, run + "/log.jsonl", false); }), "");
  EXPECT_EQ(thrown_error([&] { prepare_output(run + "/", run + "/log.jsonl", false); }), "");
  const std::string elsewhere = output() + "/elsewhere/log.jsonl";
  EXPECT_NE(thrown_error([&] { prepare_output(run, elsewhere, false); }).find("does not exist"), std::string::npos);
  EXPECT_FALSE(fs::exists(run));
}

TEST_F(RunFilesTest, ResumeFallsBackToTheNewestReadableCheckpoint) {
  for (const char* name : {"checkpoint-2", "checkpoint-4", "checkpoint-6"}) dir(name);
  std::vector<std::string> tried;
  const std::string chosen = read_resume_checkpoint(output(), true, "", "model", [&](const std::string& d) {
    tried.push_back(fs::path(d).filename().string());
    if (!d.ends_with("checkpoint-2")) throw Error(d + ": truncated");
  });
  EXPECT_EQ(tried, (std::vector<std::string>{"checkpoint-6", "checkpoint-4", "checkpoint-2"}));
  EXPECT_EQ(fs::path(chosen).filename(), "checkpoint-2");
  // The unreadable ones are set aside: no longer checkpoints, their files kept.
  EXPECT_TRUE(fs::is_directory(dir_ / "checkpoint-6.unreadable"));
  EXPECT_TRUE(fs::is_directory(dir_ / "checkpoint-4.unreadable"));
  EXPECT_EQ(list_checkpoints(output()).size(), 1u);
}

TEST_F(RunFilesTest, ResumeStopsWhenNoCheckpointIsReadableAndSetsNoneAside) {
  dir("checkpoint-2");
  dir("checkpoint-4");
  const std::string message = thrown_error([&] {
    read_resume_checkpoint(output(), true, "", "model", [](const std::string& d) { throw Error(d + ": truncated"); });
  });
  EXPECT_NE(message.find("no checkpoint in " + output() + " can be read; the newest, checkpoint-4: "),
            std::string::npos) << message;
  EXPECT_EQ(list_checkpoints(output()).size(), 2u);
}

TEST_F(RunFilesTest, WithoutResumeOrCheckpointsNothingIsRead) {
  bool read = false;
  EXPECT_EQ(read_resume_checkpoint(output(), true, "", "model", [&](const std::string&) { read = true; }), "");
  dir("checkpoint-2");
  EXPECT_EQ(read_resume_checkpoint(output(), false, "", "model", [&](const std::string&) { read = true; }), "");
  EXPECT_FALSE(read);
}

TEST_F(RunFilesTest, ANamedCheckpointIsReadInsteadOfTheNewest) {
  for (const char* name : {"checkpoint-2", "checkpoint-4"}) dir(name);
  std::vector<std::string> tried;
  const auto read = [&](const std::string& d) { tried.push_back(fs::path(d).filename().string()); };
  EXPECT_EQ(fs::path(read_resume_checkpoint(output(), true, (dir_ / "checkpoint-2").string(), "model", read)).filename(),
            "checkpoint-2");
  EXPECT_EQ(tried, std::vector<std::string>{"checkpoint-2"});
  EXPECT_EQ(thrown_error([&] { read_resume_checkpoint(output(), true, output() + "/checkpoint-9", "model", read); }),
            "--resume-from-checkpoint: " + output() + "/checkpoint-9 is not a directory");
  // A named checkpoint that cannot be read is an error: it is not set aside, nor replaced by another.
  EXPECT_EQ(thrown_error([&] {
              read_resume_checkpoint(output(), true, (dir_ / "checkpoint-4").string(), "model",
                                     [](const std::string& d) { throw Error(d + ": truncated"); });
            }),
            (dir_ / "checkpoint-4").string() + ": truncated");
  EXPECT_EQ(list_checkpoints(output()).size(), 2u);
}

TEST(RunRecord, ResumeNamesEveryDifference) {
  const json made = {{"--learning-rate", 2e-5}, {"--batch-size", 16}, {"--seed", 42}};
  json now = made;
  EXPECT_EQ(thrown_error([&] { check_made_with("out/checkpoint-20", made, now, false); }), "");
  now["--learning-rate"] = 3e-5;
  EXPECT_EQ(thrown_error([&] { check_made_with("out/checkpoint-20", made, now, false); }),
            "--resume: checkpoint-20 was made with --learning-rate 2e-05, this run has 3e-05; pass --force to "
            "resume anyway");
  now["--batch-size"] = 8;
  now["--seed"] = 1;
  EXPECT_EQ(thrown_error([&] { check_made_with("out/checkpoint-20", made, now, false); }),
            "--resume: checkpoint-20 was made with --batch-size 16, --learning-rate 2e-05 and --seed 42, this run "
            "has 8, 3e-05 and 1; pass --force to resume anyway");
  EXPECT_EQ(thrown_error([&] { check_made_with("out/checkpoint-20", made, now, true); }), "");
}

TEST(RunRecord, InputsAreComparedByContentNotPath) {
  const json made = {{"--train", input_record("a.jsonl", 0x1234, 300)}};
  const json copied = {{"--train", input_record("copy/a.jsonl", 0x1234, 300)}};
  const json changed = {{"--train", input_record("a.jsonl", 0x99, 300)}};
  EXPECT_EQ(thrown_error([&] { check_made_with("checkpoint-8", made, copied, false); }), "");
  EXPECT_EQ(thrown_error([&] { check_made_with("checkpoint-8", made, changed, false); }),
            "--resume: checkpoint-8 was made with --train a.jsonl (300 examples, content 0000000000001234), this "
            "run has a.jsonl (300 examples, content 0000000000000099); pass --force to resume anyway");
}

TEST(RunRecord, WhatACheckpointDidNotRecordIsNotCompared) {
  // Made before bertft kept a record, or before it recorded --max-length.
  EXPECT_EQ(thrown_error([] { check_made_with("checkpoint-8", json(), {{"--seed", 1}}, false); }), "");
  const json newer = {{"--seed", 1}, {"--max-length", 9}};
  EXPECT_EQ(thrown_error([&] { check_made_with("checkpoint-8", {{"--seed", 1}}, newer, false); }), "");
}

TEST(RunRecord, TheRecordTravelsWithTheState) {
  TrainerState state;
  state.made_with = {{"--seed", 7}};
  EXPECT_EQ(TrainerState::from_json(state.to_json(), "state").made_with, state.made_with);
  json earlier = state.to_json();
  earlier.erase("made_with");
  EXPECT_TRUE(TrainerState::from_json(earlier, "state").made_with.is_null());
}

}  // namespace
}  // namespace bertft
