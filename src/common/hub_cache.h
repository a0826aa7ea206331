#pragma once
// Models where Hugging Face's tools leave them. huggingface_hub keeps a downloaded repository as
//   <cache>/models--org--name/refs/main          (the commit the main branch pointed to)
//   <cache>/models--org--name/snapshots/<commit>/ (the files, as symlinks into ../../blobs/)
// so a user who has run transformers has models there, and bertft takes them as they are. It never
// downloads (no network is assumed): a model not in the cache is an error saying so.
#include <string>

namespace bertft {

// The hub cache: $HF_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else
// ~/.cache/huggingface/hub, as huggingface_hub decides it.
std::string hub_cache_dir();

// The model directory `model` names:
//   - an existing directory: itself (a snapshots/<commit> folder is a model directory already), or,
//     for a repository folder (models--org--name, holding snapshots/), the snapshot of refs/main,
//     else its only snapshot;
//   - a model id ("org/name" or "name") found in hub_cache_dir(): that repository's snapshot;
//   - anything else: `model` itself, for the command to report when it loads it (fail_missing_model),
//     after command-line mistakes and outputs that cannot be written.
// Throws Error("MODEL: ...") for a repository folder without a usable snapshot.
std::string resolve_model_dir(const std::string& model);

// The error for a model directory that is not there: for a model id, where in the hub cache it was
// looked for, and that bertft does not download.
[[noreturn]] void fail_missing_model(const std::string& model);

}  // namespace bertft
