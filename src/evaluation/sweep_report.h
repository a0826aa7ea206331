#pragma once
// The results of a `bertft sweep`, read from its run directories, and what it writes from them:
// results.csv and results.md (best first by a validation metric) and SVG charts: the metric against
// each swept option, the training loss of every run, and the validation metric of every run over
// its steps.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "evaluation/sweep_grid.h"

namespace bertft {

struct SweepRunResult {
  SweepRun run;
  std::string error;        // why the run failed; "" when it finished
  nlohmann::json metrics;   // its metrics.json (null unless finished)
  nlohmann::json log;       // its --log lines as an array (possibly empty)
};

// Reads run_dir/metrics.json (null if absent) and run_dir/log.jsonl; throws Error naming a file that
// exists but cannot be parsed.
SweepRunResult load_sweep_run(const SweepRun& run, const std::string& run_dir);

// `metric` is a key of metrics.json's "valid" object (accuracy, f1, macro_f1, loss, ...); loss sorts
// ascending, everything else descending; failed and unfinished runs go last. Returns the results in
// that order.
std::vector<SweepRunResult> rank_sweep_runs(std::vector<SweepRunResult> results, const std::string& metric);

// Writes output_dir/results.csv, results.md, metric-vs-OPTION.svg (one per axis), training-loss.svg
// and validation-curves.svg, each atomically, from ranked results.
void write_sweep_report(const std::string& output_dir, const std::vector<GridAxis>& axes,
                        const std::vector<SweepRunResult>& ranked, const std::string& metric);

}  // namespace bertft
