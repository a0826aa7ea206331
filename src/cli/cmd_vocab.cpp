// bertft vocab: train a WordPiece vocabulary on a corpus (tokenizer/wordpiece_trainer.h) and write
// it as a Tokenizer directory (vocab.txt, tokenizer_config.json, tokenizer.json).
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/dataset_options.h"
#include "common/error.h"
#include "common/io.h"
#include "data/corpus.h"
#include "tokenizer/wordpiece_trainer.h"

namespace bertft {
namespace {

struct VocabCliOptions {
  std::vector<std::string> corpus;
  std::string output;
  long long size = 0;
  long long min_frequency = 2;
  long long limit_alphabet = 1000;
  bool no_lowercase = false;
  std::string text_column;
  std::optional<bool> strip_html;  // no model directory to default from: off unless given
  int threads = default_threads();
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void run_vocab(const VocabCliOptions& o) {
  check_output_dir("--output", o.output);
  const auto start = std::chrono::steady_clock::now();

  CorpusOptions corpus_options;
  corpus_options.text_column = o.text_column;
  corpus_options.strip_html = o.strip_html.value_or(false);
  const std::vector<Document> documents = load_corpus(o.corpus, corpus_options);
  const double read_seconds = seconds_since(start);

  WordPieceTrainerOptions options;
  options.vocab_size = static_cast<size_t>(o.size);
  options.min_frequency = static_cast<uint64_t>(o.min_frequency);
  options.limit_alphabet = static_cast<size_t>(o.limit_alphabet);
  options.lowercase = !o.no_lowercase;
  options.threads = o.threads;
  std::vector<std::string_view> texts;
  texts.reserve(documents.size());
  for (const Document& d : documents) texts.push_back(d.text);
  const auto count_start = std::chrono::steady_clock::now();
  const WordCounts counts = count_words(texts, options);
  const double count_seconds = seconds_since(count_start);

  const auto train_start = std::chrono::steady_clock::now();
  const WordPieceVocab vocab = train_wordpiece(counts, options);
  const double train_seconds = seconds_since(train_start);
  write_wordpiece_tokenizer(o.output, vocab.tokens, options);

  nlohmann::ordered_json summary = {
      {"output", o.output},
      {"vocab_size", vocab.tokens.size()},
      {"alphabet", vocab.alphabet_size},
      {"merges", vocab.merges},
      {"documents", documents.size()},
      {"words", counts.total},
      {"distinct_words", counts.words.size()},
      {"read_seconds", read_seconds},
      {"count_seconds", count_seconds},
      {"train_seconds", train_seconds},
      {"seconds", seconds_since(start)}};
  const std::string line = summary.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::fwrite(line.data(), 1, line.size(), stdout);
  if (vocab.tokens.size() < options.vocab_size)
    std::fprintf(stderr, "bertft: notice: the vocabulary has %zu tokens, fewer than --size %zu: no pair occurs "
                 "%llu or more times any more\n", vocab.tokens.size(), options.vocab_size,
                 static_cast<unsigned long long>(std::max<long long>(1, o.min_frequency)));
  else if (vocab.tokens.size() > options.vocab_size)
    std::fprintf(stderr, "bertft: notice: the vocabulary has %zu tokens, more than --size %zu: the special tokens "
                 "and the alphabet alone need that many (see --limit-alphabet)\n", vocab.tokens.size(), options.vocab_size);
  if (std::fflush(stdout) != 0) throw Error("stdout: write failed");
}

void setup_vocab(CLI::App& app) {
  auto o = std::make_shared<VocabCliOptions>();
  CLI::App* sub = app.add_subcommand(
      "vocab", "Train a WordPiece vocabulary (Hugging Face BertWordPieceTokenizer.train semantics)");
  sub->add_option("--corpus", o->corpus,
                  "Text to train on, one or more of: FILE.txt (a document per non-blank line), FILE.jsonl "
                  "({\"text\": ...} per line), an aclImdb-style DIR (pos/ neg/ unsup/ *.txt, or *.txt directly), "
                  "ARCHIVE#MEMBER (e.g. aclImdb.tar.gz#aclImdb/train)")
      ->required();
  add_number_option(sub, "--size", o->size, "[1, 4194304]", "Vocabulary size, special tokens and alphabet included")
      ->required();
  sub->add_option("--output", o->output, "Directory for vocab.txt, tokenizer.json, tokenizer_config.json")->required();
  add_number_option(sub, "--min-frequency", o->min_frequency, "[0, inf)",
                    "Stop when the best pair occurs fewer times than this");
  add_number_option(sub, "--limit-alphabet", o->limit_alphabet, "[0, inf)",
                    "Keep only this many most frequent characters (0: all); words lose the others");
  sub->add_flag("--no-lowercase", o->no_lowercase, "Cased vocabulary: no lowercasing and no accent stripping");
  sub->add_option("--text-column", o->text_column, "JSON Lines key of the text (default: text, review, sentence, content)");
  add_strip_html_option(sub, o->strip_html)->description(
      "Replace <br /> line breaks (as in IMDb reviews) with spaces, or not (default: off, as Hugging Face's "
      "trainer sees the text); give the same choice to pretrain, which records it in the model");
  add_threads_option(sub, o->threads);
  sub->callback([o] { run_vocab(*o); });
}

const bool registered = register_command("vocab", setup_vocab);

}  // namespace
}  // namespace bertft
