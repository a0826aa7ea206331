#include "cli/truncation_options.h"

namespace bertft {

void add_truncation_options(CLI::App* sub, TruncationCliOptions& o) {
  sub->add_option("--truncation", o.name,
                  "How a text longer than --max-length is cut: head (its first tokens, as HF does) or head+tail "
                  "(its first --head-tokens and its last tokens, Sun et al. 2019)");
  sub->add_option("--head-tokens", o.head_tokens, "Tokens kept from the start with --truncation head+tail");
}

}  // namespace bertft
