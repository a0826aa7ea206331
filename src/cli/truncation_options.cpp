#include "cli/truncation_options.h"

namespace bertft {

void add_truncation_options(CLI::App* sub, TruncationCliOptions& o) {
  sub->add_option("--truncation", o.name,
                  "How a text longer than --max-length is cut: head (its first tokens, as HF does), head+tail (its "
                  "first --head-tokens and its last tokens, Sun et al. 2019), or chunks: the whole text as windows "
                  "of --max-length tokens sharing --chunk-overlap tokens, scored by the mean of their class "
                  "probabilities (training: each window is an example with its text's label)");
  sub->add_option("--head-tokens", o.head_tokens, "Tokens kept from the start with --truncation head+tail");
  sub->add_option("--chunk-overlap", o.chunk_overlap, "Tokens neighbouring windows share with --truncation chunks");
}

}  // namespace bertft
