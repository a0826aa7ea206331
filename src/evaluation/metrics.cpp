#include "evaluation/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "common/error.h"

namespace bertft {

namespace {

// sklearn's _prf_divide with zero_division=0.
double ratio(double num, double den) { return den == 0 ? 0.0 : num / den; }

// F1 as sklearn (>= 1.3) computes it, 2tp / (2tp + fp + fn): equal to 2PR/(P+R), and 0 where that
// would divide by zero.
double f1_score(int64_t tp, int64_t fp, int64_t fn) {
  return ratio(2.0 * static_cast<double>(tp), static_cast<double>(2 * tp + fp + fn));
}

}  // namespace

ClassificationMetrics compute_metrics(std::span<const int32_t> true_labels, std::span<const int32_t> predicted,
                                      int num_labels, const std::vector<std::string>& label_names,
                                      std::span<const float> per_example_loss) {
  if (num_labels < 1) throw Error("metrics: num_labels must be positive");
  if (true_labels.size() != predicted.size())
    throw Error("metrics: " + std::to_string(true_labels.size()) + " true labels but " +
                std::to_string(predicted.size()) + " predictions");
  if (!label_names.empty() && static_cast<int>(label_names.size()) != num_labels)
    throw Error("metrics: " + std::to_string(label_names.size()) + " label names for " +
                std::to_string(num_labels) + " labels");
  if (!per_example_loss.empty() && per_example_loss.size() != true_labels.size())
    throw Error("metrics: " + std::to_string(per_example_loss.size()) + " losses for " +
                std::to_string(true_labels.size()) + " examples");

  ClassificationMetrics r;
  r.num_labels = num_labels;
  const int64_t n = static_cast<int64_t>(true_labels.size());
  r.num_examples = n;
  r.confusion_matrix.assign(num_labels, std::vector<int64_t>(num_labels, 0));
  for (int64_t i = 0; i < n; i++) {
    const int32_t t = true_labels[i], p = predicted[i];
    if (t < 0 || t >= num_labels || p < 0 || p >= num_labels)
      throw Error("metrics: example " + std::to_string(i) + " has label " + std::to_string(t) +
                  " / prediction " + std::to_string(p) + " outside [0, " + std::to_string(num_labels) + ")");
    r.confusion_matrix[t][p]++;
  }

  int64_t correct = 0, sum_fp = 0, sum_fn = 0;
  for (int c = 0; c < num_labels; c++) {
    const int64_t tp = r.confusion_matrix[c][c];
    int64_t fp = 0, fn = 0;
    for (int k = 0; k < num_labels; k++) {
      if (k == c) continue;
      fp += r.confusion_matrix[k][c];  // predicted c, truly k
      fn += r.confusion_matrix[c][k];  // truly c, predicted k
    }
    correct += tp;
    sum_fp += fp;
    sum_fn += fn;
    ClassMetrics m;
    m.label = label_names.empty() ? std::to_string(c) : label_names[c];
    m.precision = ratio(static_cast<double>(tp), static_cast<double>(tp + fp));
    m.recall = ratio(static_cast<double>(tp), static_cast<double>(tp + fn));
    m.f1 = f1_score(tp, fp, fn);
    m.support = tp + fn;
    r.per_class.push_back(m);
  }
  r.accuracy = ratio(static_cast<double>(correct), static_cast<double>(n));

  // Averages are plain sums then one division, as numpy's mean / average over the class axis.
  double sp = 0, sr = 0, sf = 0, wp = 0, wr = 0, wf = 0;
  for (const ClassMetrics& m : r.per_class) {
    sp += m.precision;
    sr += m.recall;
    sf += m.f1;
    wp += m.precision * static_cast<double>(m.support);
    wr += m.recall * static_cast<double>(m.support);
    wf += m.f1 * static_cast<double>(m.support);
  }
  r.macro_precision = sp / num_labels;
  r.macro_recall = sr / num_labels;
  r.macro_f1 = sf / num_labels;
  r.weighted_precision = ratio(wp, static_cast<double>(n));
  r.weighted_recall = ratio(wr, static_cast<double>(n));
  r.weighted_f1 = ratio(wf, static_cast<double>(n));
  r.micro_precision = ratio(static_cast<double>(correct), static_cast<double>(correct + sum_fp));
  r.micro_recall = ratio(static_cast<double>(correct), static_cast<double>(correct + sum_fn));
  r.micro_f1 = f1_score(correct, sum_fp, sum_fn);
  if (num_labels == 2) {
    r.binary_precision = r.per_class[1].precision;
    r.binary_recall = r.per_class[1].recall;
    r.binary_f1 = r.per_class[1].f1;
  }
  if (!per_example_loss.empty()) {
    double sum = 0;
    for (float l : per_example_loss) sum += l;
    r.loss = sum / static_cast<double>(n);
  }
  return r;
}

nlohmann::json ClassificationMetrics::to_json() const {
  nlohmann::json j;
  j["accuracy"] = accuracy;
  j["precision"] = precision();
  j["recall"] = recall();
  j["f1"] = f1();
  j["macro_precision"] = macro_precision;
  j["macro_recall"] = macro_recall;
  j["macro_f1"] = macro_f1;
  j["micro_precision"] = micro_precision;
  j["micro_recall"] = micro_recall;
  j["micro_f1"] = micro_f1;
  j["weighted_precision"] = weighted_precision;
  j["weighted_recall"] = weighted_recall;
  j["weighted_f1"] = weighted_f1;
  j["num_examples"] = num_examples;
  nlohmann::json classes = nlohmann::json::array();
  for (const ClassMetrics& m : per_class)
    classes.push_back({{"label", m.label}, {"precision", m.precision}, {"recall", m.recall}, {"f1", m.f1},
                       {"support", m.support}});
  j["per_class"] = classes;
  j["confusion_matrix"] = confusion_matrix;
  if (loss) j["loss"] = *loss;
  return j;
}

double ClassificationMetrics::get(const std::string& name_in) const {
  // HF prefixes metric names with "eval_" and accepts metric_for_best_model with or without it.
  const std::string name = name_in.rfind("eval_", 0) == 0 ? name_in.substr(5) : name_in;
  if (name == "loss") {
    if (!loss) throw Error("metric 'loss' was not computed");
    return *loss;
  }
  const nlohmann::json j = to_json();
  auto it = j.find(name);
  if (it == j.end() || !it->is_number())
    throw Error("unknown metric '" + name_in + "' (expected accuracy, f1, precision, recall, loss, macro_f1, "
                "micro_f1, weighted_f1, ...)");
  return it->get<double>();
}

double roc_auc(std::span<const float> scores, std::span<const uint8_t> positives) {
  if (scores.size() != positives.size()) throw std::invalid_argument("roc_auc: scores and labels differ in count");
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  // Sum of the positives' ranks (1-based, ties sharing their average rank).
  double positive_rank_sum = 0, num_positive = 0;
  for (size_t first = 0; first < order.size();) {
    size_t last = first + 1;
    while (last < order.size() && scores[order[last]] == scores[order[first]]) last++;
    const double average_rank = (static_cast<double>(first + 1) + static_cast<double>(last)) / 2;
    for (size_t i = first; i < last; i++)
      if (positives[order[i]]) {
        positive_rank_sum += average_rank;
        num_positive++;
      }
    first = last;
  }
  const double num_negative = static_cast<double>(order.size()) - num_positive;
  if (num_positive == 0 || num_negative == 0) return std::nan("");
  return (positive_rank_sum - num_positive * (num_positive + 1) / 2) / (num_positive * num_negative);
}

}  // namespace bertft
