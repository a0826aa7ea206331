// bertft tokenize: JSON Lines {"text": ..., "text_pair": ...} on stdin -> one
// {"ids": [...], "type_ids": [...], "tokens": [...]} per line on stdout, in order.
// The hidden --bench FILE times tokenization alone (see bench/tokenizer_bench.sh).
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/command.h"
#include "common/error.h"
#include "common/io.h"
#include "tokenizer/tokenizer.h"

namespace {

struct Options {
  std::string model;
  long long max_length = -1;  // -1: the model's
  std::string bench;
};

struct Input {
  std::string text;
  std::optional<std::string> pair;
};

// One input line; `origin` is "stdin:LINE" (or "FILE:LINE") for errors.
Input parse_line(std::string& line, const std::string& origin) {
  if (line.find_first_not_of(" \t\r") == std::string::npos)
    throw bertft::Error(origin + ": blank line (each line must be a JSON object with a \"text\" string)");
  bertft::sanitize_utf8(line);  // undecodable bytes become U+FFFD, as Python's errors="replace"
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& e) {  // syntax, or out_of_range for numbers like 1e999
    std::string what = e.what();
    throw bertft::Error(origin + ": invalid JSON: " + what.substr(what.find("] ") + 2));
  }
  if (!json.is_object()) throw bertft::Error(origin + ": expected a JSON object with a \"text\" string");
  auto text = json.find("text");
  if (text == json.end() || !text->is_string())
    throw bertft::Error(origin + ": \"text\" must be a string");
  Input input{text->get<std::string>(), std::nullopt};
  auto pair = json.find("text_pair");
  if (pair != json.end() && !pair->is_null()) {
    if (!pair->is_string()) throw bertft::Error(origin + ": \"text_pair\" must be a string or null");
    input.pair = pair->get<std::string>();
  }
  return input;
}

size_t resolve_max_length(const Options& o, const bertft::BertTokenizer& tokenizer) {
  return o.max_length < 0 ? tokenizer.model_max_length() : static_cast<size_t>(o.max_length);
}

void run_tokenize(const Options& o) {
  bertft::BertTokenizer tokenizer = bertft::BertTokenizer::from_dir(o.model);
  size_t max_length = resolve_max_length(o, tokenizer);
  std::ios::sync_with_stdio(false);
  std::string line;
  for (size_t number = 1; std::getline(std::cin, line); ++number) {
    std::string origin = "stdin:" + std::to_string(number);
    Input input = parse_line(line, origin);
    bertft::Encoding e;
    try {
      e = input.pair ? tokenizer.encode(input.text, *input.pair, max_length)
                     : tokenizer.encode(input.text, std::nullopt, max_length);
    } catch (const bertft::Error& error) {
      throw bertft::Error(origin + ": " + error.what());
    }
    nlohmann::ordered_json out = {{"ids", e.ids}, {"type_ids", e.type_ids}, {"tokens", e.tokens}};
    std::string s = out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    s += '\n';
    std::fwrite(s.data(), 1, s.size(), stdout);
  }
  if (std::fflush(stdout) != 0) throw bertft::Error("stdout: write failed");
}

// Times tokenization only: texts are parsed up front, then encoded (one warm-up pass, best of 3
// timed passes), single-threaded. Prints one JSON line per mode.
void run_bench(const Options& o) {
  bertft::BertTokenizer tokenizer = bertft::BertTokenizer::from_dir(o.model);
  size_t max_length = resolve_max_length(o, tokenizer);
  std::vector<Input> inputs;
  size_t bytes = 0;
  {
    std::string data = bertft::read_file(o.bench);
    size_t number = 1;
    for (size_t begin = 0; begin < data.size(); ++number) {
      size_t end = data.find('\n', begin);
      if (end == std::string::npos) end = data.size();
      std::string line = data.substr(begin, end - begin);
      begin = end + 1;
      inputs.push_back(parse_line(line, o.bench + ":" + std::to_string(number)));
      bytes += inputs.back().text.size() + (inputs.back().pair ? inputs.back().pair->size() : 0);
    }
  }
  auto time_pass = [&](bool with_tokens, size_t& n_tokens) {
    n_tokens = 0;
    auto start = std::chrono::steady_clock::now();
    for (const Input& in : inputs) {
      if (with_tokens || in.pair)
        n_tokens += tokenizer.encode(in.text, in.pair ? std::optional<std::string_view>(*in.pair) : std::nullopt,
                                     max_length).ids.size();
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
      "Tokenize JSON Lines from stdin, {\"text\": ..., \"text_pair\": ...} (text_pair optional), writing "
      "{\"ids\", \"type_ids\", \"tokens\"} per line");
  auto o = std::make_shared<Options>();
  sub->add_option("--model", o->model, "Model directory: tokenizer.json, or vocab.txt (+ tokenizer_config.json)")
      ->required();
  sub->add_option("--max-length", o->max_length,
                  "Truncate to N tokens including [CLS]/[SEP] (pairs longest-first); 0 = no truncation. "
                  "Default: the model's limit (tokenizer_config.json model_max_length, capped at "
                  "config.json max_position_embeddings), none if neither is set")
      ->default_str("model's limit")
      ->check(CLI::NonNegativeNumber);
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
