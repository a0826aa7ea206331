#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <optional>
#include <string>

#include "common/error.h"
#include "common/hub_cache.h"
#include "temp_files.h"

namespace bertft {

namespace {

namespace fs = std::filesystem;

// Sets an environment variable for one scope (unset if `value` is nullopt), restoring it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = getenv(name)) old_ = old;
    value ? setenv(name, value->c_str(), 1) : unsetenv(name);
  }
  ~ScopedEnv() { old_ ? setenv(name_, old_->c_str(), 1) : unsetenv(name_); }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

std::string resolve_error(const std::string& model) {
  try {
    resolve_model_dir(model);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

std::string missing_model_error(const std::string& model) {
  try {
    fail_missing_model(model);
  } catch (const Error& e) {
    return e.what();
  }
}

class HubCacheTest : public test::TempFilesTest {
 protected:
  // A repository folder as huggingface_hub leaves it: config.json in blobs/, linked from the snapshot.
  std::string add_repo(const std::string& cache, const std::string& folder, const std::string& commit,
                       bool with_ref = true) {
    const fs::path repo = dir_ / cache / folder;
    write((fs::path(cache) / folder / "blobs" / ("blob-" + commit)).string(), "{}");
    fs::create_directories(repo / "snapshots" / commit);
    fs::create_symlink("../../blobs/blob-" + commit, repo / "snapshots" / commit / "config.json");
    if (with_ref) write((fs::path(cache) / folder / "refs" / "main").string(), commit + "\n");
    return (repo / "snapshots" / commit).string();
  }
};

}  // namespace

TEST_F(HubCacheTest, CacheDirectoryFollowsHuggingfaceHub) {
  ScopedEnv hub("HF_HUB_CACHE", std::nullopt), home("HF_HOME", std::nullopt), xdg("XDG_CACHE_HOME", std::nullopt),
      user("HOME", "/home/u");
  EXPECT_EQ(hub_cache_dir(), "/home/u/.cache/huggingface/hub");
  ScopedEnv xdg_set("XDG_CACHE_HOME", "/xdg");
  EXPECT_EQ(hub_cache_dir(), "/xdg/huggingface/hub");
  ScopedEnv home_set("HF_HOME", "/hf");
  EXPECT_EQ(hub_cache_dir(), "/hf/hub");
  ScopedEnv hub_set("HF_HUB_CACHE", "/cache");
  EXPECT_EQ(hub_cache_dir(), "/cache");
}

TEST_F(HubCacheTest, ModelIdsRepositoryFoldersAndSnapshotsResolve) {
  const std::string snapshot = add_repo("hub", "models--org--name", "c0ffee");
  const std::string legacy = add_repo("hub", "models--bert-base-uncased", "beef");
  add_repo("hub", "models--org--name", "older", /*with_ref=*/false);
  ScopedEnv hub("HF_HUB_CACHE", (dir_ / "hub").string());
  EXPECT_EQ(resolve_model_dir("org/name"), snapshot);  // refs/main, not the other snapshot
  EXPECT_EQ(resolve_model_dir("bert-base-uncased"), legacy);
  EXPECT_EQ(resolve_model_dir((dir_ / "hub" / "models--org--name").string()), snapshot);
  EXPECT_EQ(resolve_model_dir(snapshot), snapshot);
  EXPECT_EQ(resolve_model_dir(dir_.string()), dir_.string());  // a plain directory is itself

  fs::remove(dir_ / "hub" / "models--bert-base-uncased" / "refs" / "main");
  EXPECT_EQ(resolve_model_dir("bert-base-uncased"), legacy);  // the only snapshot
  fs::remove(dir_ / "hub" / "models--org--name" / "refs" / "main");
  EXPECT_EQ(resolve_error("org/name"), "org/name: 2 snapshots in " + (dir_ / "hub/models--org--name/snapshots").string() +
                                           " and no refs/main: give the snapshot folder itself");
  write("hub/models--org--name/refs/main", "../../x");
  EXPECT_EQ(resolve_error("org/name"), "org/name: refs/main names commit '../../x', which has no folder in " +
                                           (dir_ / "hub/models--org--name/snapshots").string());
}

TEST_F(HubCacheTest, WhatIsNotThereIsExplainedAndNeverFetched) {
  ScopedEnv hub("HF_HUB_CACHE", (dir_ / "hub").string());
  // Left for the loader to report, after the command's own checks.
  for (const char* missing : {"org/missing", "./model", ""}) EXPECT_EQ(resolve_model_dir(missing), missing);
  EXPECT_EQ(missing_model_error("org/missing"),
            "org/missing: not a directory, and not in the Hugging Face cache (no " +
                (dir_ / "hub" / "models--org--missing").string() +
                "); bertft does not download models: fetch it once, e.g. with `huggingface-cli download org/missing`, "
                "or give its directory");
  for (const char* not_an_id : {"./model", "/abs/model", "a/b/c", "a b", "org/..", ""})
    EXPECT_EQ(missing_model_error(not_an_id),
              std::string(not_an_id) + ": not a model directory (it does not exist or is not a directory)");
}

}  // namespace bertft
