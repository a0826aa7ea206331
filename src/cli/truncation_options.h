#pragma once
// --truncation / --head-tokens / --chunk-overlap, shared by train, eval, predict and serve
// (encoding/encoded_dataset.h).
#include <string>

#include "cli/command.h"
#include "encoding/encoded_dataset.h"

namespace bertft {

struct TruncationCliOptions {
  std::string name = "head";
  int head_tokens = 128;
  int chunk_overlap = 32;
  Truncation to_truncation() const { return truncation_from_name(name, head_tokens, chunk_overlap); }
};

void add_truncation_options(CLI::App* sub, TruncationCliOptions& o);

}  // namespace bertft
