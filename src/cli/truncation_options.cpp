#include "cli/truncation_options.h"

namespace bertft {

void add_truncation_options(CLI::App* sub, TruncationCliOptions& o) {
  sub->add_option("--truncation", o.name,
                  "How a text longer than --max-length is cut: head (its first tokens, as HF does), head+tail (its "
                  "first --head-tokens and its last tokens, Sun et al. 2019), or chunks: the whole text as windows "
                  "of --max-length tokens sharing --chunk-overlap tokens, scored by the mean of their class "
                  "probabilities (training: each window is an example with its text's label)");
  add_number_option(sub, "--head-tokens", o.head_tokens, "[0, inf)",
                    "Tokens kept from the start with --truncation head+tail");
  add_number_option(sub, "--chunk-overlap", o.chunk_overlap, "[0, inf)",
                    "Tokens neighbouring windows share with --truncation chunks");
}

}  // namespace bertft
