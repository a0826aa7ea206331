// bertft baseline: TF-IDF + logistic regression (scikit-learn's TfidfVectorizer + LogisticRegression
// semantics, see baseline/tfidf.h and baseline/logistic_regression.h), the non-neural reference a
// fine-tuned BERT should beat. Trains on --train, scores --test (and --valid): one JSON line with
// the same metric fields as `bertft eval`.
//
// --output DIR writes, each file atomically:
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
#include <memory>
#include <nlohmann/json.hpp>

#include "baseline/logistic_regression.h"
#include "baseline/tfidf.h"
#include "cli/command.h"
#include "cli/dataset_options.h"
#include "common/error.h"
#include "common/io.h"
#include "data/dataset.h"
#include "data/text_files.h"
#include "data/text_input.h"
#include "evaluation/metrics.h"

namespace bertft {
namespace {

struct BaselineOptions {
  std::string train, test, valid, output_dir, predictions, unlabeled, unlabeled_predictions;
  DatasetCliOptions dataset;
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

Predictions predict(const TfidfVectorizer& vectorizer, const LogisticRegression& model,
                    const std::vector<std::string>& docs) {
  const SparseMatrix x = vectorizer.transform(views_of(docs));
  return Predictions{model.predict_proba(x), model.predict(x), model.num_classes()};
}

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

nlohmann::json score(const TfidfVectorizer& vectorizer, const LogisticRegression& model, const Dataset& data,
                     const std::string& predictions_file = "") {
  const Predictions p = predict(vectorizer, model, documents_of(data));
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
                const LogisticRegression& model, const std::vector<std::string>& labels, size_t train_examples,
                const nlohmann::json& metrics) {
  make_directories(dir);
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
  write_file_atomic((p / "metrics.json").string(), metrics.dump(2) + "\n");
}

void run_baseline(const BaselineOptions& o) {
  if (!o.output_dir.empty()) check_output_dir("--output", o.output_dir);
  if (!o.predictions.empty()) check_output_file("--predictions", o.predictions);
  if (!o.unlabeled_predictions.empty()) check_output_file("--unlabeled-predictions", o.unlabeled_predictions);
  const auto start = std::chrono::steady_clock::now();
  const DatasetOptions options = o.dataset.to_options();
  const Dataset train = load_dataset(o.train, options);
  const Dataset test = load_with_labels(o.test, options, train.label_names);
  const Dataset valid = o.valid.empty() ? Dataset{} : load_with_labels(o.valid, options, train.label_names);
  if (train.label_names.size() < 2) throw Error(o.train + ": needs at least 2 classes");
  const std::vector<std::string> unlabeled = o.unlabeled.empty() ? std::vector<std::string>{} : read_unlabeled(o);
  const double load_seconds = seconds_since(start);

  const auto train_start = std::chrono::steady_clock::now();
  TfidfVectorizer vectorizer(TfidfOptions{o.ngram_max, o.min_df, true});
  LogisticRegression model;
  LogisticRegressionResult fit;
  {
    const std::vector<std::string> docs = documents_of(train);
    vectorizer.fit(views_of(docs));
    const SparseMatrix x = vectorizer.transform(views_of(docs));
    fit = model.fit(x, labels_of(train), static_cast<int>(train.label_names.size()),
                    LogisticRegressionOptions{o.C, o.tol, o.max_iter});
  }
  const double train_seconds = seconds_since(train_start);
  if (!fit.converged)
    std::fprintf(stderr, "bertft: warning: logistic regression stopped after %d iterations with relative gradient %.3g > --tol %g\n",
                 fit.iterations, fit.gradient_norm, o.tol);

  const auto eval_start = std::chrono::steady_clock::now();
  nlohmann::json out = score(vectorizer, model, test, o.predictions);
  const double eval_seconds = seconds_since(eval_start);
  if (!o.valid.empty()) out["valid"] = score(vectorizer, model, valid);
  if (!o.unlabeled.empty())  // e.g. pseudo-labels for unlabeled in-domain text
    write_file_atomic(o.unlabeled_predictions,
                      format_predictions(predict(vectorizer, model, unlabeled), train.label_names));
  out["train_examples"] = train.examples.size();
  out["num_features"] = vectorizer.num_features();
  out["ngram_max"] = o.ngram_max;
  out["min_df"] = o.min_df;
  out["C"] = o.C;
  out["iterations"] = fit.iterations;
  out["cg_iterations"] = fit.cg_iterations;
  out["converged"] = fit.converged;
  out["objective"] = fit.objective;
  out["load_seconds"] = std::round(load_seconds * 1000) / 1000;
  out["train_seconds"] = std::round(train_seconds * 1000) / 1000;
  out["eval_seconds"] = std::round(eval_seconds * 1000) / 1000;
  if (!o.output_dir.empty()) save_model(o.output_dir, o, vectorizer, model, train.label_names, train.examples.size(), out);
  std::printf("%s\n", out.dump().c_str());
}

void setup_baseline(CLI::App& app) {
  auto o = std::make_shared<BaselineOptions>();
  CLI::App* sub = app.add_subcommand(
      "baseline",
      "TF-IDF + logistic regression (scikit-learn's TfidfVectorizer(sublinear_tf=True) + LogisticRegression): "
      "train, score the test set, print metrics as one JSON line");
  sub->add_option("--train", o->train, std::string("Training data. ") + kDatasetSpecHelp)->required();
  sub->add_option("--test", o->test, "Test data (same formats), scored once")->required();
  sub->add_option("--valid", o->valid, "Validation data (same formats), also scored (\"valid\" in the output)");
  sub->add_option("--output", o->output_dir, "Save the model (baseline.json, features.tsv) and metrics.json here");
  sub->add_option("--predictions", o->predictions,
                  "Write the test set's predictions here: JSON Lines {\"label\", \"score\", \"probs\": {LABEL: P}, \"true\"} in input order");
  sub->add_option("--unlabeled", o->unlabeled,
                  "Texts without labels to score too, read as `bertft predict --input` reads them: JSON Lines "
                  "({\"text\", optional \"text_pair\"}) or one text per line");
  sub->add_option("--unlabeled-predictions", o->unlabeled_predictions,
                  "Write --unlabeled's predictions here: JSON Lines {\"label\", \"score\", \"probs\": {LABEL: P}} in input order");
  add_number_option(sub, "--ngram-max", o->ngram_max, "[1, 16]", "Word n-grams of 1..N tokens");
  add_number_option(sub, "--min-df", o->min_df, "[1, inf)",
                    "Keep n-grams found in at least this many training documents");
  add_number_option(sub, "--C", o->C, "(0, inf)", "Inverse L2 regularisation strength (sklearn's C)");
  add_number_option(sub, "--max-iter", o->max_iter, "[1, inf)", "Newton iterations at most");
  add_number_option(sub, "--tol", o->tol, "(0, inf)",
                    "Stop when the gradient norm falls below this fraction of its value at zero");
  add_threads_option(sub, o->threads);
  add_dataset_options(sub, o->dataset);
  sub->callback([o] {
    if (o->unlabeled.empty() != o->unlabeled_predictions.empty())
      throw Error("--unlabeled and --unlabeled-predictions go together");
    use_threads(o->threads);
    run_baseline(*o);
  });
}

const bool registered = register_command("baseline", setup_baseline);

}  // namespace
}  // namespace bertft
