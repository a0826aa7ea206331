#include "common/hub_cache.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/io.h"

namespace bertft {

namespace {

namespace fs = std::filesystem;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// huggingface_hub's repository ids: one or two names of letters, digits, '-', '_' and '.'.
bool is_model_id(std::string_view id) {
  int names = 0;
  size_t start = 0;
  while (start <= id.size()) {
    const size_t end = std::min(id.find('/', start), id.size());
    const std::string_view name = id.substr(start, end - start);
    if (name.empty() || name == "." || name == ".." || ++names > 2) return false;
    for (char c : name)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
    start = end + 1;
  }
  return names > 0;
}

// The snapshot a repository folder (models--org--name) stands for.
std::string snapshot_of(const fs::path& repo, const std::string& model) {
  const fs::path snapshots = repo / "snapshots";
  const std::string ref_path = (repo / "refs" / "main").string();
  if (file_exists(ref_path)) {
    std::string commit = read_file(ref_path);
    while (!commit.empty() && std::isspace(static_cast<unsigned char>(commit.back()))) commit.pop_back();
    const fs::path snapshot = snapshots / commit;
    if (commit.empty() || commit.find('/') != std::string::npos || !fs::is_directory(snapshot))
      fail_file(model, "refs/main names commit '" + commit + "', which has no folder in " + snapshots.string());
    return snapshot.string();
  }
  std::vector<fs::path> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(snapshots, ec))
    if (entry.is_directory()) found.push_back(entry.path());
  if (found.size() == 1) return found.front().string();
  fail_file(model, found.empty() ? "no snapshot in " + snapshots.string()
                                 : std::to_string(found.size()) + " snapshots in " + snapshots.string() +
                                       " and no refs/main: give the snapshot folder itself");
}

}  // namespace

std::string hub_cache_dir() {
  if (!env("HF_HUB_CACHE").empty()) return env("HF_HUB_CACHE");
  if (!env("HF_HOME").empty()) return (fs::path(env("HF_HOME")) / "hub").string();
  if (!env("XDG_CACHE_HOME").empty()) return (fs::path(env("XDG_CACHE_HOME")) / "huggingface" / "hub").string();
  return (fs::path(env("HOME")) / ".cache" / "huggingface" / "hub").string();
}

namespace {

// Where the hub cache keeps repository `id`.
fs::path repository_folder(const std::string& id) {
  std::string folder = "models--" + id;
  if (const size_t slash = folder.find('/'); slash != std::string::npos) folder.replace(slash, 1, "--");
  return fs::path(hub_cache_dir()) / folder;
}

}  // namespace

std::string resolve_model_dir(const std::string& model) {
  if (fs::is_directory(model))
    return fs::is_directory(fs::path(model) / "snapshots") ? snapshot_of(model, model) : model;
  if (!is_model_id(model) || !fs::is_directory(repository_folder(model))) return model;
  return snapshot_of(repository_folder(model), model);
}

void fail_missing_model(const std::string& model) {
  if (!is_model_id(model)) fail_file(model, "not a model directory (it does not exist or is not a directory)");
  fail_file(model, "not a directory, and not in the Hugging Face cache (no " + repository_folder(model).string() +
                       "); bertft does not download models: fetch it once, e.g. with `huggingface-cli download " +
                       model + "`, or give its directory");
}

}  // namespace bertft
