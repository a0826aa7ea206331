// bertft sweep: a grid of train runs (evaluation/sweep_grid.h), each in OUTPUT/<settings>/, skipped when
// finished and resumed when interrupted; results.csv, results.md and charts (evaluation/sweep_report.h)
// are rewritten after every run.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/model_option.h"
#include "cli/train_options.h"
#include "common/error.h"
#include "common/io.h"
#include "distributed/communicator.h"
#include "evaluation/sweep_report.h"
#include "evaluation/sweep_grid.h"
#include "evaluation/metrics.h"
#include "training/trainer.h"

namespace fs = std::filesystem;

namespace bertft {
namespace {

struct SweepOptions {
  std::string model, train, output, grid;
  std::string metric = "accuracy";
};

// The options a sweep sets itself for every run.
const char* const kReserved[] = {"output", "log", "resume", "model", "train"};

bool given(const std::vector<std::string>& args, const std::string& option) {
  return std::any_of(args.begin(), args.end(),
                     [&](const std::string& a) { return a == "--" + option || a.starts_with("--" + option + "="); });
}

// The train options of one run, parsed as `bertft train` parses them.
TrainOptions train_options(const SweepOptions& o, const SweepRun& run, const std::vector<std::string>& extras) {
  std::vector<std::string> args = {"--model", o.model, "--train", o.train};
  args.insert(args.end(), extras.begin(), extras.end());
  for (const auto& [option, value] : run.settings) args.insert(args.end(), {"--" + option, value});
  const std::string dir = (fs::path(o.output) / run.name).string();
  args.insert(args.end(), {"--output", dir, "--log", (fs::path(dir) / "log.jsonl").string(), "--resume"});
  CLI::App app;
  TrainCliOptions cli;
  add_train_options(&app, cli);
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last first
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    throw Error("sweep run " + run.name + ": " + e.what());
  } catch (const Error& e) {  // an option's value out of its range
    throw Error("sweep run " + run.name + ": " + e.what());
  }
  return cli.resolve();
}

void run_sweep(SweepOptions o, const std::vector<std::string>& extras) {
  if (world_communicator().size() > 1)
    throw Error("sweep runs in one process (its runs write shared result files); start it without mpirun");
  const std::vector<GridAxis> axes = parse_grid(o.grid);
  if (o.metric.starts_with("eval_")) o.metric.erase(0, 5);
  ClassificationMetrics probe;  // rejects an unknown --metric before any training
  probe.loss = 0;
  probe.get(o.metric);
  for (const char* option : kReserved)
    if (given(extras, option)) throw Error(std::string("--") + option + ": the sweep sets it for every run");
  for (const GridAxis& axis : axes) {
    if (given(extras, axis.option)) throw Error("--" + axis.option + " is both an option and in --grid");
    for (const char* option : kReserved)
      if (axis.option == option) throw Error("--grid: " + axis.option + " cannot be swept");
  }
  if (!given(extras, "valid") && !given(extras, "valid-split"))
    throw Error("a sweep compares runs on validation data: give --valid or --valid-split (never the test set)");
  const std::vector<SweepRun> runs = expand_grid(axes);
  for (const SweepRun& run : runs) train_options(o, run, extras);  // every run's options are valid before any runs
  check_output_dir("--output", o.output);
  remove_stale_temporaries(o.output);  // of the result files; each run cleans its own directory
  make_directories(o.output);

  std::vector<SweepRunResult> results;
  size_t failed = 0;
  for (size_t i = 0; i < runs.size(); i++) {
    const SweepRun& run = runs[i];
    const std::string dir = (fs::path(o.output) / run.name).string();
    std::string error;
    if (fs::exists(fs::path(dir) / "metrics.json")) {
      std::fprintf(stderr, "bertft: sweep run %zu/%zu %s: finished before, skipped\n", i + 1, runs.size(),
                   run.name.c_str());
    } else {
      std::fprintf(stderr, "bertft: sweep run %zu/%zu %s\n", i + 1, runs.size(), run.name.c_str());
      try {
        run_training(train_options(o, run, extras), world_communicator());
      } catch (const Error& e) {
        error = e.what();
        failed++;
        std::fprintf(stderr, "bertft: sweep run %s failed: %s\n", run.name.c_str(), e.what());
      }
    }
    results.push_back(load_sweep_run(run, dir));
    results.back().error = error;
    const SweepRunResult& r = results.back();
    nlohmann::json line = {{"run", run.name}, {"status", error.empty() ? "done" : "failed"}};
    for (const auto& [option, value] : run.settings) line[option] = value;
    if (!r.metrics.is_null()) {
      if (r.metrics.contains("valid")) line["valid_" + o.metric] = r.metrics["valid"].value(o.metric, nlohmann::json());
      line["train_seconds"] = r.metrics.value("train_seconds", 0.0);
    }
    if (!error.empty()) line["error"] = error;
    std::printf("%s\n", line.dump().c_str());
    std::fflush(stdout);
    write_sweep_report(o.output, axes, rank_sweep_runs(results, o.metric), o.metric);
  }
  const std::vector<SweepRunResult> ranked = rank_sweep_runs(results, o.metric);
  std::fprintf(stderr, "bertft: sweep: best %s; results in %s\n", ranked.front().run.name.c_str(),
               (fs::path(o.output) / "results.md").c_str());
  if (failed)
    throw Error(std::to_string(failed) + " of " + std::to_string(runs.size()) + " sweep runs failed (see " +
                (fs::path(o.output) / "results.md").string() + "); rerun to retry them");
}

void setup_sweep(CLI::App& app) {
  auto o = std::make_shared<SweepOptions>();
  CLI::App* sub = app.add_subcommand(
      "sweep", "Train every combination of a hyperparameter grid; results table and charts, best first");
  add_model_option(sub, o->model, "Model every run starts from")->required();
  sub->add_option("--train", o->train, "Training data (as for train)")->required();
  sub->add_option("--output", o->output,
                  "Sweep directory: one run directory per combination, results.csv, results.md, *.svg")
      ->required();
  sub->add_option("--grid", o->grid,
                  "Train options and their values, e.g. \"learning-rate=1e-5,2e-5,3e-5,5e-5 batch-size=8,16,32 "
                  "max-length=128,256,512\"")
      ->required();
  sub->add_option("--metric", o->metric, "Validation metric that ranks the runs: accuracy, f1, macro_f1, loss, ...");
  sub->footer(
      "Every other option is passed to each run as `bertft train` takes it (see bertft train --help); "
      "--valid or --valid-split is required. A finished run (its metrics.json exists) is skipped on a rerun; an "
      "interrupted one resumes from its newest checkpoint. One process (not under mpirun). stdout: one JSON line per run.");
  sub->allow_extras();
  sub->callback([o, sub] { run_sweep(*o, sub->remaining()); });
}

const bool registered = register_command("sweep", setup_sweep);

}  // namespace
}  // namespace bertft
