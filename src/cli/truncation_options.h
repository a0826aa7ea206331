#pragma once
// --truncation / --head-tokens (/ --chunk-overlap), shared by train, eval, predict and serve
// (training/encoded_dataset.h); chunks everywhere but serve, which answers each input once.
#include <string>

#include "cli/command.h"
#include "training/encoded_dataset.h"

namespace bertft {

struct TruncationCliOptions {
  std::string name = "head";
  int head_tokens = 128;
  int chunk_overlap = 32;
  bool allow_chunks = false;
  Truncation to_truncation() const { return truncation_from_name(name, head_tokens, chunk_overlap, allow_chunks); }
};

// allow_chunks adds --truncation chunks and --chunk-overlap.
void add_truncation_options(CLI::App* sub, TruncationCliOptions& o, bool allow_chunks = false);

}  // namespace bertft
