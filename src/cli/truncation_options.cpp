#include "cli/truncation_options.h"

#include <cstdio>
#include <filesystem>

namespace bertft {

Truncation TruncationCliOptions::resolve(const Truncation& model_default) const {
  Truncation t = model_default;
  if (given(name_option)) t.strategy = to_truncation().strategy;
  if (given(head_tokens_option)) t.head_tokens = head_tokens;
  if (given(chunk_overlap_option)) t.chunk_overlap = chunk_overlap;
  return t;
}

void add_truncation_options(CLI::App* sub, TruncationCliOptions& o, bool windows) {
  if (windows)
    o.name_option = sub->add_option(
        "--truncation", o.name,
        "How a text longer than --max-length is cut: head (its first tokens, as HF does), head+tail (its first "
        "--head-tokens and its last tokens, Sun et al. 2019), or chunks: the whole text as windows of --max-length "
        "tokens sharing --chunk-overlap tokens, scored by the mean of their class probabilities (training: each "
        "window is an example with its text's label). Inference default: what the model directory records "
        "(config.json bertft_defaults), else head");
  else
    o.name_option = sub->add_option("--truncation", o.name,
                                    "How a text longer than --max-length is cut: head (its first tokens) or head+tail "
                                    "(its first --head-tokens and its last tokens, Sun et al. 2019)")
                        ->check(CLI::IsMember({"head", "head+tail"}))
                        ->capture_default_str();
  o.head_tokens_option = add_number_option(sub, "--head-tokens", o.head_tokens, "[0, inf)",
                                           "Tokens kept from the start with --truncation head+tail");
  if (windows)
    o.chunk_overlap_option = add_number_option(sub, "--chunk-overlap", o.chunk_overlap, "[0, inf)",
                                               "Tokens neighbouring windows share with --truncation chunks");
}

InferenceDefaults resolve_inference_options(const ModelConfig& config, const std::string& config_path,
                                            const CLI::Option* max_length_option, int max_length,
                                            const TruncationCliOptions& truncation, std::optional<bool> strip_html) {
  const InferenceDefaults recorded = inference_defaults(config, config_path);
  InferenceDefaults run;
  std::string taken;  // the recorded defaults this run takes, for the notice
  auto take = [&](const std::string& what) { taken += (taken.empty() ? "" : ", ") + what; };
  if (given(max_length_option)) {
    run.max_length = resolve_max_length(config, max_length);
  } else {
    if (recorded.max_length > config.max_sequence_length())
      throw Error(config_path + ": " + kInferenceDefaultsKey + ".max_length " + std::to_string(recorded.max_length) +
                  " is more than the model takes (" + std::to_string(config.max_sequence_length()) + ")");
    run.max_length = resolve_max_length(config, recorded.max_length);
    if (recorded.max_length > 0) take("--max-length " + std::to_string(recorded.max_length));
  }
  run.truncation = truncation.resolve(recorded.truncation);
  if (!given(truncation.name_option) && recorded.truncation.strategy != Truncation::Strategy::Head)
    take("--truncation " + describe(run.truncation));
  run.strip_html = strip_html.value_or(recorded.strip_html);
  if (!strip_html && recorded.strip_html) take("--strip-html");
  if (!taken.empty()) {
    // Checked here, so that a record that does not fit is named as the source rather than the flags.
    try {
      check_truncation(run.truncation, run.max_length);
    } catch (const Error& e) {
      throw Error(config_path + ": " + kInferenceDefaultsKey + " (" + taken + "): " + e.what());
    }
    // Named by directory: an ensemble's models each say their own.
    std::fprintf(stderr, "bertft: notice: the defaults of %s (config.json %s): %s\n",
                 std::filesystem::path(config_path).parent_path().string().c_str(), kInferenceDefaultsKey,
                 taken.c_str());
  }
  return run;
}

CLI::Option* add_inference_max_length_option(CLI::App* sub, int& max_length, const std::string& what) {
  return add_number_option(sub, "--max-length", max_length, "[0, inf)",
                           max_length_help(what) + ". Default: what the model directory records, else 0")
      ->default_str("model directory's");
}

std::string max_length_help(const std::string& what) {
  return "Tokens per " + what + " incl. special tokens; 0: the longest the model takes (max_position_embeddings)";
}

}  // namespace bertft
