// bertft tokenize: JSON Lines {"text": ..., "text_pair": ...} on stdin -> one
// {"ids": [...], "type_ids": [...], "tokens": [...]} per record on stdout, in order (blank lines
// are skipped; see data/text_input.h for the input rules shared with predict).
// The hidden --bench FILE times tokenization alone (see bench/tokenizer_bench.sh).
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/model_option.h"
#include "common/error.h"
#include "common/io.h"
#include "data/text_input.h"
#include "tokenizer/tokenizer.h"

namespace {

struct Options {
  std::string model;
  long long max_length = 0;  // 0: the model's limit
  bool no_truncation = false;
  std::string bench;
};

size_t resolve_max_length(const Options& o, const bertft::Tokenizer& tokenizer) {
  if (o.no_truncation) return 0;  // the tokenizer's "no limit"
  return o.max_length > 0 ? static_cast<size_t>(o.max_length) : tokenizer.model_max_length();
}

void run_tokenize(const Options& o) {
  bertft::Tokenizer tokenizer = bertft::Tokenizer::from_dir(o.model);
  size_t max_length = resolve_max_length(o, tokenizer);
  std::ios::sync_with_stdio(false);
  bertft::TextInputReader reader(std::cin, "stdin", bertft::TextFormat::kJsonLines);
  bertft::TextInput input;
  while (reader.next(input)) {
    bertft::Encoding e;
    try {
      e = tokenizer.encode(input.text, input.text_pair, max_length);
    } catch (const bertft::Error& error) {
      throw bertft::Error(bertft::input_location(reader.name(), input) + ": " + error.what());
    }
    nlohmann::ordered_json out = {{"ids", e.ids}, {"type_ids", e.type_ids}, {"tokens", e.tokens}};
    std::string s = out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    s += '\n';
    std::fwrite(s.data(), 1, s.size(), stdout);
  }
  if (const std::string warning = reader.sanitized_warning(); !warning.empty())
    std::fprintf(stderr, "bertft: warning: %s\n", warning.c_str());
  if (std::fflush(stdout) != 0) throw bertft::Error("stdout: write failed");
}

// Times tokenization only: texts are parsed up front, then encoded (one warm-up pass, best of 3
// timed passes), single-threaded. Prints one JSON line per mode.
void run_bench(const Options& o) {
  bertft::Tokenizer tokenizer = bertft::Tokenizer::from_dir(o.model);
  size_t max_length = resolve_max_length(o, tokenizer);
  std::vector<bertft::TextInput> inputs;
  size_t bytes = 0;
  {
    std::istringstream data(bertft::read_file(o.bench));
    bertft::TextInputReader reader(data, o.bench, bertft::TextFormat::kJsonLines);
    for (bertft::TextInput input; reader.next(input);) {
      bytes += input.text.size() + (input.text_pair ? input.text_pair->size() : 0);
      inputs.push_back(std::move(input));
    }
  }
  auto time_pass = [&](bool with_tokens, size_t& n_tokens) {
    n_tokens = 0;
    auto start = std::chrono::steady_clock::now();
    for (const bertft::TextInput& in : inputs) {
      if (with_tokens || in.text_pair)
        n_tokens += tokenizer.encode(in.text, in.text_pair, max_length).ids.size();
      else
        n_tokens += tokenizer.encode_ids(in.text, max_length).size();
    }
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  for (bool with_tokens : {false, true}) {
    size_t n_tokens = 0;
    time_pass(with_tokens, n_tokens);
    double best = 1e300;
    for (int i = 0; i < 3; ++i) best = std::min(best, time_pass(with_tokens, n_tokens));
    nlohmann::ordered_json out = {{"mode", with_tokens ? "encode" : "encode_ids"},
                                  {"texts", inputs.size()},
                                  {"bytes", bytes},
                                  {"tokens", n_tokens},
                                  {"seconds", best},
                                  {"mb_per_s", bytes / best / 1e6}};
    std::printf("%s\n", out.dump().c_str());
  }
}

void setup_tokenize(CLI::App& app) {
  CLI::App* sub = app.add_subcommand(
      "tokenize",
      "Tokenize JSON Lines from stdin, {\"text\": ..., \"text_pair\": ...} (text_pair optional, blank "
      "lines skipped), writing {\"ids\", \"type_ids\", \"tokens\"} per record");
  auto o = std::make_shared<Options>();
  bertft::add_model_option(sub, o->model, "Model whose tokenizer to use (tokenizer.json, or vocab.txt or vocab.json + merges.txt, + tokenizer_config.json)")
      ->required();
  auto* max_length =
      bertft::add_number_option(sub, "--max-length", o->max_length, "[0, inf)",
                                "Truncate to N tokens including [CLS]/[SEP] (pairs longest-first); 0: the longest "
                                "the model takes (tokenizer_config.json model_max_length, capped at config.json "
                                "max_position_embeddings; no limit if neither is set)");
  sub->add_flag("--no-truncation", o->no_truncation,
                "Keep every token, as Hugging Face's tokenizer does without truncation=True")
      ->excludes(max_length);
  sub->add_option("--bench", o->bench, "Benchmark tokenization on a JSON Lines file")->group("");
  sub->callback([o] {
    if (o->bench.empty())
      run_tokenize(*o);
    else
      run_bench(*o);
  });
}

const bool registered = bertft::register_command("tokenize", setup_tokenize);

}  // namespace
