// bertft baseline: the references a fine-tuned BERT should beat. Trains on --train, scores --test
// (and --valid): one JSON line with the same metric fields as `bertft eval`.
//   --model tfidf (default)  TF-IDF + logistic regression (scikit-learn's TfidfVectorizer +
//                            LogisticRegression semantics, see baseline/tfidf.h, logistic_regression.h)
//   --model lstm | bilstm-attention  recurrent networks trained from scratch, or from a bertft model's
//                            word embeddings (baseline/recurrent_classifier.h, recurrent_trainer.h),
//                            on words (baseline/word_vocabulary.h) or a model's tokenizer; early
//                            stopping on --valid, else on --valid-split of --train.
//
// --output DIR writes, each file atomically, for the recurrent models:
//   metrics.json, model.safetensors (PyTorch's state_dict names), vocab.txt (words: the ids' words),
//   baseline.json  {"format": "bertft-recurrent", "version": 1, "model", "labels", the config and
//                  the training options}
// and for TF-IDF:
//   metrics.json   the printed JSON, indented
//   baseline.json  {"format": "bertft-tfidf-logreg", "version": 1, "labels": [...], "ngram_max",
//                  "min_df", "sublinear_tf", "C", "train_examples", "num_features",
//                  "intercepts": [one per score column]}
//   features.tsv   one line per feature in feature-id order: n-gram TAB df TAB idf TAB weight(s),
//                  one weight per score column (two classes: one column, the score of class 1;
//                  K > 2 classes: K columns). N-grams never hold tabs or newlines (tokens are runs
//                  of word characters joined by single spaces); numbers use %.17g (exact doubles).
// A document's scores are b + sum over its features of value * weight, value being the L2-normalised
// (1 + ln count) * idf of the training vocabulary.
//
// --unlabeled FILE --unlabeled-predictions OUT also scores texts without labels (pseudo-labels).
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>

#include "baseline/logistic_regression.h"
#include "baseline/recurrent_trainer.h"
#include "baseline/tfidf.h"
#include "baseline/word_vocabulary.h"
#include "cli/command.h"
#include "cli/dataset_options.h"
#include "cli/model_option.h"
#include "cli/truncation_options.h"
#include "common/error.h"
#include "common/io.h"
#include "common/precision.h"
#include "data/dataset.h"
#include "data/text_files.h"
#include "data/text_input.h"
#include "evaluation/metrics.h"
#include "model/checkpoint.h"
#include "tokenizer/tokenizer.h"

namespace bertft {
namespace {

// The recurrent models' options (their training options in `train`).
struct RecurrentCliOptions {
  std::string tokenizer_dir, embeddings_from, init_weights, precision = "auto";
  int64_t embedding_dim = 128, hidden_size = 128, num_layers = 1, attention_dim = 128, max_vocab = 50000;
  int max_length = 400;
  double valid_split = 0.1;
  TruncationCliOptions truncation;
  RecurrentTrainOptions train;
};

struct BaselineOptions {
  std::string model = "tfidf";
  std::string train, test, valid, output_dir, predictions, unlabeled, unlabeled_predictions;
  DatasetCliOptions dataset;
  RecurrentCliOptions recurrent;
  int ngram_max = 1;
  int64_t min_df = 2;
  double C = 1.0;
  double tol = 1e-8;
  int max_iter = 100;
  int threads = default_threads();
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The text the vectorizer sees: a text pair follows its text after a newline, so no token spans both.
std::string document(const std::string& text, const std::string& text_pair) {
  return text_pair.empty() ? text : text + "\n" + text_pair;
}

std::vector<std::string> documents_of(const Dataset& data) {
  std::vector<std::string> docs;
  docs.reserve(data.examples.size());
  for (const Example& ex : data.examples) docs.push_back(document(ex.text, ex.text_pair));
  return docs;
}

std::vector<std::string_view> views_of(const std::vector<std::string>& docs) {
  return std::vector<std::string_view>(docs.begin(), docs.end());
}

std::vector<int32_t> labels_of(const Dataset& data) {
  std::vector<int32_t> labels;
  labels.reserve(data.examples.size());
  for (const Example& ex : data.examples) labels.push_back(ex.label);
  return labels;
}

Dataset load_with_labels(const std::string& spec, const DatasetOptions& base, const std::vector<std::string>& names) {
  DatasetOptions options = base;
  options.known_labels = names;
  Dataset data = load_dataset(spec, options);
  if (data.label_names != names) {
    std::string list;
    for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
    throw Error(spec + ": labels do not match the training data's (" + list + ")");
  }
  return data;
}

struct Predictions {
  std::vector<double> probs;  // [documents, K]
  std::vector<int32_t> labels;
  int K = 0;
};

// A trained model's class probabilities for documents.
using Predictor = std::function<Predictions(const std::vector<std::string>& docs)>;

// JSON Lines, one per document in input order, as bertft predict writes them: {"label", "score", "probs":
// {LABEL: P, ...}}, plus "true" given the true labels (label names).
std::string format_predictions(const Predictions& p, const std::vector<std::string>& label_names,
                               const std::vector<int32_t>* true_labels = nullptr) {
  std::string out;
  const size_t K = static_cast<size_t>(p.K);
  for (size_t i = 0; i < p.labels.size(); i++) {
    nlohmann::ordered_json probs = nlohmann::ordered_json::object();
    for (size_t k = 0; k < K; k++) probs[label_names[k]] = p.probs[i * K + k];
    nlohmann::ordered_json line = {
        {"label", label_names[p.labels[i]]}, {"score", p.probs[i * K + p.labels[i]]}, {"probs", std::move(probs)}};
    if (true_labels) line["true"] = label_names[(*true_labels)[i]];
    out += line.dump() + "\n";
  }
  return out;
}

nlohmann::json score(const Predictor& predict, const Dataset& data, const std::string& predictions_file = "") {
  const Predictions p = predict(documents_of(data));
  const std::vector<int32_t> labels = labels_of(data);
  std::vector<float> losses(labels.size());
  for (size_t i = 0; i < labels.size(); i++)
    losses[i] = static_cast<float>(-std::log(std::max(p.probs[i * p.K + labels[i]], 1e-300)));
  nlohmann::json out = compute_metrics(labels, p.labels, p.K, data.label_names, losses).to_json();
  out["examples"] = data.examples.size();
  if (!predictions_file.empty()) write_file_atomic(predictions_file, format_predictions(p, data.label_names, &labels));
  return out;
}

// Texts without labels (--unlabeled), read as `bertft predict --input` reads them, cleaned as the
// labeled data are.
std::vector<std::string> read_unlabeled(const BaselineOptions& o) {
  std::ifstream file = open_input_file(o.unlabeled);
  TextInputReader reader(file, o.unlabeled);
  std::vector<std::string> docs;
  TextInput input;
  while (reader.next(input))
    docs.push_back(document(clean_text(std::move(input.text), o.dataset.strip_html.value_or(false)),
                            clean_text(input.text_pair.value_or(""), o.dataset.strip_html.value_or(false))));
  if (const std::string warning = reader.sanitized_warning(); !warning.empty())
    std::fprintf(stderr, "bertft: warning: %s\n", warning.c_str());
  return docs;
}

std::string format_double(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

void save_model(const std::string& dir, const BaselineOptions& o, const TfidfVectorizer& vectorizer,
                const LogisticRegression& model, const std::vector<std::string>& labels, size_t train_examples) {
  const nlohmann::ordered_json config = {
      {"format", "bertft-tfidf-logreg"}, {"version", 1},          {"labels", labels},
      {"ngram_max", o.ngram_max},        {"min_df", o.min_df},    {"sublinear_tf", true},
      {"C", o.C},                        {"train_examples", train_examples},
      {"num_features", vectorizer.num_features()}, {"intercepts", model.intercepts()}};
  const int K = model.outputs();
  std::string tsv;
  tsv.reserve(static_cast<size_t>(vectorizer.num_features()) * (32 + 24 * K));
  for (int64_t f = 0; f < vectorizer.num_features(); f++) {
    tsv += vectorizer.terms()[f];
    tsv += '\t' + std::to_string(vectorizer.df()[f]) + '\t' + format_double(vectorizer.idf()[f]);
    for (int k = 0; k < K; k++) tsv += '\t' + format_double(model.weights()[f * K + k]);
    tsv += '\n';
  }
  const std::filesystem::path p(dir);
  write_file_atomic((p / "features.tsv").string(), tsv);
  write_file_atomic((p / "baseline.json").string(), config.dump(2) + "\n");
}

// A trained baseline: what scores documents, what its run adds to the metrics, and how it is saved.
struct TrainedBaseline {
  Predictor predict;
  nlohmann::json details;
  std::function<void(const std::string& dir)> save;
};

TrainedBaseline train_tfidf(const BaselineOptions& o, const Dataset& train) {
  auto vectorizer = std::make_shared<TfidfVectorizer>(TfidfOptions{o.ngram_max, o.min_df, true});
  auto model = std::make_shared<LogisticRegression>();
  LogisticRegressionResult fit;
  {
    const std::vector<std::string> docs = documents_of(train);
    vectorizer->fit(views_of(docs));
    const SparseMatrix x = vectorizer->transform(views_of(docs));
    fit = model->fit(x, labels_of(train), static_cast<int>(train.label_names.size()),
                     LogisticRegressionOptions{o.C, o.tol, o.max_iter});
  }
  if (!fit.converged)
    std::fprintf(stderr, "bertft: warning: logistic regression stopped after %d iterations with relative gradient %.3g > --tol %g\n",
                 fit.iterations, fit.gradient_norm, o.tol);
  TrainedBaseline trained;
  trained.predict = [vectorizer, model](const std::vector<std::string>& docs) {
    const SparseMatrix x = vectorizer->transform(views_of(docs));
    return Predictions{model->predict_proba(x), model->predict(x), model->num_classes()};
  };
  trained.details = {{"num_features", vectorizer->num_features()}, {"ngram_max", o.ngram_max}, {"min_df", o.min_df},
                     {"C", o.C}, {"iterations", fit.iterations}, {"cg_iterations", fit.cg_iterations},
                     {"converged", fit.converged}, {"objective", fit.objective}};
  trained.save = [&o, vectorizer, model, labels = train.label_names, n = train.examples.size()](const std::string& dir) {
    save_model(dir, o, *vectorizer, *model, labels, n);
  };
  return trained;
}

// How the recurrent models read a text: the word vocabulary or a model's tokenizer, then cut to
// --max-length tokens (head or head+tail); a text without a word is one [UNK].
struct RecurrentEncoder {
  std::optional<WordVocabulary> words;
  std::optional<Tokenizer> tokenizer;
  int max_length = 0;
  Truncation truncation;

  std::vector<int32_t> encode(const std::string& doc) const {
    std::vector<int32_t> ids = words ? words->encode(doc) : tokenizer->encode_ids(doc);
    const size_t limit = static_cast<size_t>(max_length);
    if (ids.size() > limit) {
      const size_t head = truncation.strategy == Truncation::Strategy::HeadTail
                              ? std::min(limit, static_cast<size_t>(truncation.head_tokens)) : limit;
      std::copy(ids.end() - static_cast<ptrdiff_t>(limit - head), ids.end(), ids.begin() + static_cast<ptrdiff_t>(head));
      ids.resize(limit);
    }
    if (ids.empty()) ids.push_back(WordVocabulary::kUnknown);
    return ids;
  }

  TokenizedTexts encode_all(const std::vector<std::string>& docs, const std::vector<int32_t>& labels = {}) const {
    TokenizedTexts texts{std::vector<std::vector<int32_t>>(docs.size()), labels};
#pragma omp parallel for schedule(dynamic, 64)
    for (size_t i = 0; i < docs.size(); i++) texts.ids[i] = encode(docs[i]);
    return texts;
  }
};

TrainedBaseline train_recurrent_baseline(const BaselineOptions& o, const Dataset& train, const Dataset& valid) {
  const RecurrentCliOptions& r = o.recurrent;
  auto encoder = std::make_shared<RecurrentEncoder>();
  encoder->max_length = r.max_length;
  encoder->truncation = r.truncation.to_truncation();
  const std::vector<std::string> train_docs = documents_of(train);
  RecurrentConfig config;
  config.kind = recurrent_kind_from_name(o.model, "--model");
  config.embedding_dim = r.embedding_dim;
  config.hidden_size = r.hidden_size;
  config.num_layers = r.num_layers;
  config.attention_dim = r.attention_dim;
  config.num_labels = static_cast<int64_t>(train.label_names.size());
  const std::string tokenizer_dir = r.embeddings_from.empty() ? r.tokenizer_dir : r.embeddings_from;
  std::optional<Model> embeddings_model;
  if (!r.embeddings_from.empty()) {
    std::vector<std::string> notices;
    embeddings_model = load_model(r.embeddings_from, LoadOptions{}, &notices);
    config.embedding_dim = embeddings_model->params.find(Slot::WordEmbeddings)->shape[1];
  }
  if (!tokenizer_dir.empty()) {
    encoder->tokenizer = Tokenizer::from_dir(tokenizer_dir);
    config.vocab_size = static_cast<int64_t>(encoder->tokenizer->vocab_size());
    // As in many HF models, the table may have rows no token uses (padded to a multiple of 8, say).
    if (embeddings_model)
      config.vocab_size = std::max(config.vocab_size, embeddings_model->params.find(Slot::WordEmbeddings)->shape[0]);
    config.padding_idx = std::max(encoder->tokenizer->pad_id(), 0);
  } else {
    encoder->words.emplace();
    encoder->words->fit(views_of(train_docs), o.min_df, r.max_vocab);
    config.vocab_size = encoder->words->size();
    config.padding_idx = WordVocabulary::kPad;
  }
  auto model = std::make_shared<RecurrentClassifier>(config);
  const Precision precision = training_precision_from_name(r.precision);
  if (!r.init_weights.empty()) {
    *model = RecurrentClassifier::load(r.init_weights, config.padding_idx);
    const RecurrentConfig& got = model->config();
    if (got.kind != config.kind || got.vocab_size != config.vocab_size || got.num_labels != config.num_labels)
      throw Error(r.init_weights + ": a " + recurrent_kind_name(got.kind) + " over " + std::to_string(got.vocab_size) +
                  " tokens and " + std::to_string(got.num_labels) + " classes, but this run is a " + o.model + " over " +
                  std::to_string(config.vocab_size) + " tokens and " + std::to_string(config.num_labels) + " classes");
    config = got;
  } else {
    model->init(r.train.seed);
  }
  model->set_precision(precision);
  if (embeddings_model) {
    const TensorSpec& spec = *embeddings_model->params.find(Slot::WordEmbeddings);
    if (spec.shape[0] < config.vocab_size)
      throw Error("--embeddings-from " + r.embeddings_from + ": " + std::to_string(spec.shape[0]) +
                  " word embeddings, fewer than its tokenizer's " + std::to_string(config.vocab_size) + " tokens");
    std::copy_n(embeddings_model->params.word_emb, spec.numel, model->tensor("embedding.weight"));
    embeddings_model.reset();
  }
  const RecurrentTrainResult result = train_recurrent(
      *model, encoder->encode_all(train_docs, labels_of(train)),
      encoder->encode_all(documents_of(valid), labels_of(valid)), r.train);

  TrainedBaseline trained;
  trained.predict = [encoder, model, batch_size = r.train.batch_size](const std::vector<std::string>& docs) {
    const std::vector<float> probs = recurrent_probs(*model, encoder->encode_all(docs), batch_size);
    const int K = static_cast<int>(model->config().num_labels);
    Predictions p{std::vector<double>(probs.begin(), probs.end()), std::vector<int32_t>(docs.size()), K};
    for (size_t i = 0; i < docs.size(); i++) {
      const float* row = probs.data() + i * static_cast<size_t>(K);
      p.labels[i] = static_cast<int32_t>(std::max_element(row, row + K) - row);
    }
    return p;
  };
  nlohmann::ordered_json details = {
      {"model", o.model},
      {"tokens", encoder->words ? "words" : "tokenizer"},
      {"vocab_size", config.vocab_size},
      {"embedding_dim", config.embedding_dim},
      {"hidden_size", config.hidden_size},
      {"num_layers", config.num_layers},
      {"parameters", model->params().size()},
      {"mixed_precision", precision == Precision::Bf16 ? "bf16" : "no"},  // accelerate's name: "precision" is a metric
      {"max_length", r.max_length},
      {"truncation", describe(encoder->truncation)},
      {"epochs_run", result.epochs_run},
      {"best_epoch", result.best_epoch},
      {"steps", result.steps},
      {"valid_accuracy_per_epoch", result.valid_accuracy}};
  if (config.kind == RecurrentKind::BilstmAttention) details["attention_dim"] = config.attention_dim;
  if (!tokenizer_dir.empty()) details["tokenizer"] = tokenizer_dir;
  if (!r.embeddings_from.empty()) details["embeddings_from"] = r.embeddings_from;
  trained.details = details;
  trained.save = [&o, encoder, model, details, labels = train.label_names](const std::string& dir) {
    const std::filesystem::path p(dir);
    const RecurrentTrainOptions& t = o.recurrent.train;
    nlohmann::ordered_json config = {{"format", "bertft-recurrent"}, {"version", 1}, {"labels", labels},
                                     {"padding_idx", model->config().padding_idx}};
    config.update(details);
    config.update(nlohmann::ordered_json{{"dropout", t.dropout}, {"learning_rate", t.learning_rate},
                                         {"weight_decay", t.weight_decay}, {"batch_size", t.batch_size},
                                         {"max_grad_norm", t.max_grad_norm}, {"patience", t.patience}, {"seed", t.seed}});
    model->save((p / "model.safetensors").string());
    if (encoder->words) write_file_atomic((p / "vocab.txt").string(), encoder->words->to_text());
    write_file_atomic((p / "baseline.json").string(), config.dump(2) + "\n");
  };
  return trained;
}

void run_baseline(const BaselineOptions& o) {
  if (!o.output_dir.empty()) check_output_dir("--output", o.output_dir);
  if (!o.predictions.empty()) check_output_file("--predictions", o.predictions);
  if (!o.unlabeled_predictions.empty()) check_output_file("--unlabeled-predictions", o.unlabeled_predictions);
  const bool recurrent = o.model != "tfidf";
  const auto start = std::chrono::steady_clock::now();
  const DatasetOptions options = o.dataset.to_options();
  Dataset train = load_dataset(o.train, options);
  const Dataset test = load_with_labels(o.test, options, train.label_names);
  Dataset valid = o.valid.empty() ? Dataset{} : load_with_labels(o.valid, options, train.label_names);
  if (train.label_names.size() < 2) throw Error(o.train + ": needs at least 2 classes");
  if (recurrent && o.valid.empty()) {  // the epochs are chosen on held-out training data, never on test
    const size_t texts = train.examples.size();
    std::tie(train, valid) = stratified_split(train, o.recurrent.valid_split, o.recurrent.train.seed);
    if (valid.examples.empty() || train.examples.empty())
      throw Error("--valid-split " + nlohmann::json(o.recurrent.valid_split).dump() + " of " + o.train + "'s " +
                  std::to_string(texts) + " texts leaves " + (valid.examples.empty() ? "no validation" : "no training") +
                  " texts; change it or give --valid");
  }
  const std::vector<std::string> unlabeled = o.unlabeled.empty() ? std::vector<std::string>{} : read_unlabeled(o);
  const double load_seconds = seconds_since(start);

  const auto train_start = std::chrono::steady_clock::now();
  const TrainedBaseline trained = recurrent ? train_recurrent_baseline(o, train, valid) : train_tfidf(o, train);
  const double train_seconds = seconds_since(train_start);

  const auto eval_start = std::chrono::steady_clock::now();
  nlohmann::json out = score(trained.predict, test, o.predictions);
  const double eval_seconds = seconds_since(eval_start);
  if (!valid.examples.empty()) out["valid"] = score(trained.predict, valid);
  if (!o.unlabeled.empty())  // e.g. pseudo-labels for unlabeled in-domain text
    write_file_atomic(o.unlabeled_predictions, format_predictions(trained.predict(unlabeled), train.label_names));
  out["train_examples"] = train.examples.size();
  out.update(trained.details);
  out["load_seconds"] = std::round(load_seconds * 1000) / 1000;
  out["train_seconds"] = std::round(train_seconds * 1000) / 1000;
  out["eval_seconds"] = std::round(eval_seconds * 1000) / 1000;
  if (!o.output_dir.empty()) {
    make_directories(o.output_dir);
    trained.save(o.output_dir);
    write_file_atomic((std::filesystem::path(o.output_dir) / "metrics.json").string(), out.dump(2) + "\n");
  }
  std::printf("%s\n", out.dump().c_str());
}

void setup_baseline(CLI::App& app) {
  auto o = std::make_shared<BaselineOptions>();
  CLI::App* sub = app.add_subcommand(
      "baseline",
      "The references a fine-tuned BERT should beat: TF-IDF + logistic regression (scikit-learn's "
      "TfidfVectorizer(sublinear_tf=True) + LogisticRegression), an LSTM or a BiLSTM with attention: train, score "
      "the test set, print metrics as one JSON line");
  sub->add_option("--model", o->model,
                  "tfidf: TF-IDF + logistic regression; lstm: an LSTM's last hidden state; bilstm-attention: a "
                  "bidirectional LSTM pooled by additive attention")
      ->check(CLI::IsMember({"tfidf", "lstm", "bilstm-attention"}))
      ->capture_default_str();
  sub->add_option("--train", o->train, std::string("Training data. ") + kDatasetSpecHelp)->required();
  sub->add_option("--test", o->test, "Test data (same formats), scored once")->required();
  sub->add_option("--valid", o->valid,
                  "Validation data (same formats), also scored (\"valid\" in the output); the recurrent models stop "
                  "early on it");
  sub->add_option("--output", o->output_dir,
                  "Save the model and metrics.json here (TF-IDF: baseline.json, features.tsv; recurrent: "
                  "baseline.json, model.safetensors with PyTorch's names, vocab.txt)");
  sub->add_option("--predictions", o->predictions,
                  "Write the test set's predictions here: JSON Lines {\"label\", \"score\", \"probs\": {LABEL: P}, \"true\"} in input order");
  sub->add_option("--unlabeled", o->unlabeled,
                  "Texts without labels to score too, read as `bertft predict --input` reads them: JSON Lines "
                  "({\"text\", optional \"text_pair\"}) or one text per line");
  sub->add_option("--unlabeled-predictions", o->unlabeled_predictions,
                  "Write --unlabeled's predictions here: JSON Lines {\"label\", \"score\", \"probs\": {LABEL: P}} in input order");
  add_number_option(sub, "--min-df", o->min_df, "[1, inf)",
                    "Keep n-grams (recurrent: words) found in at least this many training documents");
  const std::string tfidf = "TF-IDF";
  add_number_option(sub, "--ngram-max", o->ngram_max, "[1, 16]", "Word n-grams of 1..N tokens")->group(tfidf);
  add_number_option(sub, "--C", o->C, "(0, inf)", "Inverse L2 regularisation strength (sklearn's C)")->group(tfidf);
  add_number_option(sub, "--max-iter", o->max_iter, "[1, inf)", "Newton iterations at most")->group(tfidf);
  add_number_option(sub, "--tol", o->tol, "(0, inf)",
                    "Stop when the gradient norm falls below this fraction of its value at zero")->group(tfidf);

  RecurrentCliOptions& r = o->recurrent;
  const std::string rnn = "lstm, bilstm-attention";
  add_number_option(sub, "--embedding-dim", r.embedding_dim, "[1, 4096]", "Token embedding width (--embeddings-from: the model's)")->group(rnn);
  add_number_option(sub, "--hidden-size", r.hidden_size, "[1, 4096]", "LSTM hidden size per direction")->group(rnn);
  add_number_option(sub, "--num-layers", r.num_layers, "[1, 8]", "Stacked LSTM layers")->group(rnn);
  add_number_option(sub, "--attention-dim", r.attention_dim, "[1, 4096]", "Additive attention's width (bilstm-attention)")->group(rnn);
  add_number_option(sub, "--max-vocab", r.max_vocab, "[1, 10000000]", "Most frequent words kept (without --tokenizer)")->group(rnn);
  sub->add_option("--tokenizer", r.tokenizer_dir,
                  "Read texts with this model directory's tokenizer (e.g. WordPiece) instead of words")->group(rnn);
  add_model_option(sub, r.embeddings_from,
                   "Start the token embeddings from this bertft/HF model's word embeddings, with its tokenizer",
                   "--embeddings-from")->group(rnn);
  add_number_option(sub, "--max-length", r.max_length, "[1, 1000000]", "Tokens per text; longer texts are cut by --truncation")->group(rnn);
  add_truncation_options(sub, r.truncation, /*windows=*/false);
  r.truncation.name_option->group(rnn);
  r.truncation.head_tokens_option->group(rnn);
  add_number_option(sub, "--valid-split", r.valid_split, "(0, 1)",
                    "Without --valid: this fraction of --train (stratified, --seed) is held out for early stopping")->group(rnn);
  RecurrentTrainOptions& t = r.train;
  add_number_option(sub, "--num-train-epochs,--epochs", t.epochs, "[1, 1000]", "Epochs at most")->group(rnn);
  add_number_option(sub, "--early-stopping-patience,--patience", t.patience, "[1, 1000]",
                    "Stop after this many epochs without a better validation accuracy; the best epoch is kept")->group(rnn);
  add_number_option(sub, "--per-device-train-batch-size,--batch-size", t.batch_size, "[1, 65536]", "Texts per step")->group(rnn);
  add_number_option(sub, "--learning-rate", t.learning_rate, "(0, inf)", "AdamW's learning rate (constant)")->group(rnn);
  add_number_option(sub, "--weight-decay", t.weight_decay, "[0, inf)", "AdamW's weight decay (not on biases)")->group(rnn);
  add_number_option(sub, "--max-grad-norm", t.max_grad_norm, "[0, inf)", "Gradient clipping (0: off)")->group(rnn);
  add_number_option(sub, "--dropout", t.dropout, "[0, 1)", "On the embeddings, between LSTM layers and before the classifier")->group(rnn);
  add_number_option(sub, "--seed", t.seed, "[0, inf)", "Initialisation, dropout, shuffling and --valid-split")->group(rnn);
  add_bool_option(sub, "--no-shuffle", t.no_shuffle, "Batches are consecutive texts in file order")->group(rnn);
  sub->add_option("--log", t.log, "Write one JSON line per optimizer step here: step, epoch, loss, grad_norm")->group(rnn);
  CLI::Option* precision = sub->add_option("--precision", r.precision,
                  "auto | fp32 | bf16 (the LSTM layers' products with their inputs in bf16 with fp32 accumulation; the "
                  "recurrence and everything else fp32); auto: bf16 on CPUs with native bf16 (AVX512-BF16), else fp32")
                               ->capture_default_str()->group(rnn);
  // Tests start from a PyTorch reference's weights (tests/integration/test_recurrent_parity).
  sub->add_option("--init-weights", r.init_weights)->group("");
  add_threads_option(sub, o->threads);
  add_dataset_options(sub, o->dataset);
  sub->callback([o, precision] {
    if (o->unlabeled.empty() != o->unlabeled_predictions.empty())
      throw Error("--unlabeled and --unlabeled-predictions go together");
    if (o->model == "tfidf" && !o->recurrent.embeddings_from.empty())
      throw Error("--embeddings-from is for --model lstm or bilstm-attention");
    if (o->model == "tfidf" && precision->count() > 0)
      throw Error("--precision is for --model lstm or bilstm-attention");
    use_threads(o->threads);
    run_baseline(*o);
  });
}

const bool registered = register_command("baseline", setup_baseline);

}  // namespace
}  // namespace bertft
