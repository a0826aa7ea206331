// bertft sweep: a grid of train runs (evaluation/sweep_grid.h), each in OUTPUT/<settings>/, skipped when
// finished and resumed when interrupted; results.csv, results.md and charts (evaluation/sweep_report.h)
// are rewritten after every run.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/command_line.h"
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

// The options a sweep sets itself for every run (train's first names).
const char* const kReserved[] = {"output", "log", "resume", "resume-from-checkpoint", "model", "train"};

// The first name of the train option `name` stands for (an alias, an underscore spelling): "learning_rate"
// and "learning-rate" are "learning-rate", "num-train-epochs" is "epochs". Throws Error with the nearest
// name for an unknown option.
std::string train_option_name(const std::string& name) {
  CLI::App app;
  TrainCliOptions cli;
  add_train_options(&app, cli);
  return find_option(app, "--" + name)->get_lnames().front();
}

// The train options among `args` (as they are passed to every run), by their first names.
std::vector<std::string> train_options_given(const std::vector<std::string>& args) {
  std::vector<std::string> names;
  for (const std::string& arg : args)
    if (arg.starts_with("--")) names.push_back(train_option_name(arg.substr(2, arg.find('=') - 2)));
  return names;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
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
  try {
    parse_command_line(app, args);
  } catch (const Error& e) {
    throw Error("sweep run " + run.name + ": " + e.what());
  }
  return cli.resolve();
}

void run_sweep(SweepOptions o, const std::vector<std::string>& extras) {
  // Unknown options first, then missing ones, as every command reports them.
  const std::vector<std::string> given = train_options_given(extras);
  const std::pair<const char*, const std::string*> required[] = {
      {"--model", &o.model}, {"--train", &o.train}, {"--output", &o.output}, {"--grid", &o.grid}};
  for (const auto& [name, value] : required)
    if (value->empty()) throw Error(std::string(name) + " is required");
  if (world_communicator().size() > 1)
    throw Error("sweep runs in one process (its runs write shared result files); start it without mpirun");
  std::vector<GridAxis> axes = parse_grid(o.grid);
  if (o.metric.starts_with("eval_")) o.metric.erase(0, 5);
  ClassificationMetrics probe;  // rejects an unknown --metric before any training
  probe.loss = 0;
  probe.get(o.metric);
  for (const char* option : kReserved)
    if (contains(given, option)) throw Error(std::string("--") + option + ": the sweep sets it for every run");
  std::vector<std::string> swept;
  for (GridAxis& axis : axes) {
    const std::string as_given = axis.option;
    try {
      axis.option = train_option_name(as_given);
    } catch (const Error& e) {
      throw Error(std::string("--grid: ") + e.what());
    }
    if (contains(swept, axis.option)) throw Error("--grid: option '" + axis.option + "' given twice");
    swept.push_back(axis.option);
    if (contains(given, axis.option)) throw Error("--" + axis.option + " is both an option and in --grid");
    for (const char* option : kReserved)
      if (axis.option == option) throw Error("--grid: " + as_given + " cannot be swept");
  }
  if (!contains(given, "valid") && !contains(given, "valid-split"))
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
      std::fprintf(stderr, "bertft: notice: sweep run %zu/%zu %s: finished before, skipped\n", i + 1, runs.size(),
                   run.name.c_str());
    } else {
      std::fprintf(stderr, "bertft: notice: sweep run %zu/%zu %s\n", i + 1, runs.size(), run.name.c_str());
      try {
        run_training(train_options(o, run, extras), world_communicator());
      } catch (const Error& e) {
        error = e.what();
        failed++;
        std::fprintf(stderr, "bertft: notice: sweep run %s failed: %s\n", run.name.c_str(), e.what());
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
  std::fprintf(stderr, "bertft: notice: sweep: best %s; results in %s\n", ranked.front().run.name.c_str(),
               (fs::path(o.output) / "results.md").c_str());
  if (failed)
    throw Error(std::to_string(failed) + " of " + std::to_string(runs.size()) + " sweep runs failed (see " +
                (fs::path(o.output) / "results.md").string() + "); rerun to retry them");
}

void setup_sweep(CLI::App& app) {
  auto o = std::make_shared<SweepOptions>();
  CLI::App* sub = app.add_subcommand(
      "sweep", "Train every combination of a hyperparameter grid; results table and charts, best first");
  // Required (checked when the sweep starts, after the options passed to train, so that an unknown option
  // is reported first as in every command).
  add_model_option(sub, o->model, "Model every run starts from (required)");
  sub->add_option("--train", o->train, "Training data (as for train; required)");
  sub->add_option("--output", o->output,
                  "Sweep directory: one run directory per combination, results.csv, results.md, *.svg (required)");
  sub->add_option("--grid", o->grid,
                  "Train options and their values, e.g. \"learning-rate=1e-5,2e-5,3e-5,5e-5 batch-size=8,16,32 "
                  "max-length=128,256,512\"; HF's names and underscore spellings too, e.g. num_train_epochs=2,3 "
                  "(required)");
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
