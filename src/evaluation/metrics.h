#pragma once
// Classification metrics with scikit-learn's definitions (labels = 0..num_labels-1, zero_division=0):
// what `bertft train` / `bertft eval` report and what metric_for_best_model selects from.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace bertft {

struct ClassMetrics {
  std::string label;
  double precision = 0, recall = 0, f1 = 0;
  int64_t support = 0;  // examples whose true label is this class
};

struct ClassificationMetrics {
  int num_labels = 0;
  int64_t num_examples = 0;
  double accuracy = 0;
  std::vector<ClassMetrics> per_class;
  double macro_precision = 0, macro_recall = 0, macro_f1 = 0;           // unweighted mean over classes
  double micro_precision = 0, micro_recall = 0, micro_f1 = 0;           // from summed tp / fp / fn
  double weighted_precision = 0, weighted_recall = 0, weighted_f1 = 0;  // mean weighted by support
  // sklearn's average="binary" (pos_label=1), only when num_labels == 2.
  std::optional<double> binary_precision, binary_recall, binary_f1;
  std::vector<std::vector<int64_t>> confusion_matrix;  // [true][pred]
  std::optional<double> loss;                           // mean of the per-example losses, if given

  // Headline precision / recall / f1: the binary ones with two labels, else the macro ones.
  double precision() const { return binary_precision.value_or(macro_precision); }
  double recall() const { return binary_recall.value_or(macro_recall); }
  double f1() const { return binary_f1.value_or(macro_f1); }

  // {"accuracy", "precision", "recall", "f1", "macro_precision", "macro_recall", "macro_f1",
  //  "micro_precision", "micro_recall", "micro_f1", "weighted_precision", "weighted_recall",
  //  "weighted_f1", "num_examples", "per_class": [{"label", "precision", "recall", "f1", "support"}],
  //  "confusion_matrix": [[...]], "loss" (only if given)}
  nlohmann::json to_json() const;
  // A metric by the name HF's metric_for_best_model uses ("accuracy", "f1", "eval_f1", "loss",
  // "macro_f1", ...); throws Error if unknown or (loss) not computed.
  double get(const std::string& name) const;
};

// `label_names` may be empty (then "0", "1", ...) or have num_labels entries. Every id must lie in
// [0, num_labels); `per_example_loss` is empty or one value per example. Throws Error otherwise.
ClassificationMetrics compute_metrics(std::span<const int32_t> true_labels, std::span<const int32_t> predicted,
                                      int num_labels, const std::vector<std::string>& label_names = {},
                                      std::span<const float> per_example_loss = {});

// The area under the ROC curve of `scores` for the examples marked 1 in `positives` (scikit-learn's
// roc_auc_score for binary labels): the probability that a positive scores above a negative, ties
// counting half (the Mann-Whitney statistic over average ranks). NaN when either class is absent.
double roc_auc(std::span<const float> scores, std::span<const uint8_t> positives);

}  // namespace bertft
