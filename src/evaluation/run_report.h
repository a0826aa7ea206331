#pragma once
// report.html of a `bertft train` run: one self-contained page (inline CSS and SVG, no scripts, nothing
// fetched) with, in this order, the headline facts (the run's result first), the training curves (loss
// and gradient norm on axes fitted to the data, learning rate from 0), the validation metrics of every
// evaluation, for each scored split the headline metrics, a confusion-matrix heatmap, per-class
// precision / recall / F1 and the most confident mistakes, and last the configuration.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "common/svg_chart.h"
#include "data/dataset.h"
#include "evaluation/evaluate.h"
#include "evaluation/metrics.h"

namespace bertft {

// A split scored with the run's final (best) model.
struct ReportSplit {
  std::string name;               // "validation", "test"
  const Dataset* data = nullptr;  // the texts behind `evaluation`, same order
  ClassificationMetrics metrics;
  Evaluation evaluation;
};

struct RunReport {
  std::string title;
  std::vector<std::pair<std::string, std::string>> facts;  // headline facts, in order
  nlohmann::ordered_json configuration;                    // option -> value
  nlohmann::json log_history;  // the run's log: step entries {"step", "loss", "learning_rate",
                               // "grad_norm", ...} and evaluation entries {"step", "eval_*"}
  std::string metric_for_best_model;
  int64_t best_step = -1;
  std::vector<ReportSplit> splits;
  int max_mistakes = 20;
};

std::string render_run_report(const RunReport& report);

// Mean of consecutive runs of points so that at most max_points remain (x and y averaged alike):
// per-step curves of long runs stay readable and small.
std::vector<ChartPoint> bucket_means(const std::vector<ChartPoint>& points, size_t max_points);

// (step, entry[key]) of the log entries that have a numeric `key`, in log order.
std::vector<ChartPoint> log_series(const nlohmann::json& log, const std::string& key);

}  // namespace bertft
