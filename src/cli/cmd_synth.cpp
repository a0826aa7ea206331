// bertft synth: writes synthetic labeled movie reviews (data/synth.h) as JSON Lines.
#include <cstdio>
#include <memory>

#include "cli/command.h"
#include "common/io.h"
#include "data/synth.h"

namespace {

struct Options {
  size_t n = 1000;
  uint64_t seed = 0;
  std::string output;
};

void setup_synth(CLI::App& app) {
  CLI::App* sub = app.add_subcommand(
      "synth",
      "Write N synthetic movie reviews as JSON Lines {\"text\", \"label\": \"positive\"|\"negative\"}: "
      "balanced classes; real reviews' sentiment words in varied shapes, with negation, 'X, but Y' contrast and "
      "mixed cues so word order matters; deterministic in --seed");
  auto o = std::make_shared<Options>();
  bertft::add_number_option(sub, "--n", o->n, "[1, 1e7]", "Number of reviews");
  bertft::add_number_option(sub, "--seed", o->seed, "[0, inf)", "Random seed");
  sub->add_option("--output", o->output, "Output file (written atomically); - = stdout")->required();
  sub->callback([o] {
    if (o->output != "-") bertft::check_output_file("--output", o->output);
    const std::string text = bertft::synth_json_lines(bertft::synth_reviews(o->n, o->seed));
    if (o->output == "-") {
      std::fwrite(text.data(), 1, text.size(), stdout);
    } else {
      bertft::write_file_atomic(o->output, text);
    }
  });
}

const bool registered = bertft::register_command("synth", setup_synth);

}  // namespace
