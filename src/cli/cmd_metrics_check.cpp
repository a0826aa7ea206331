// bertft metrics-check (hidden, for tests/integration/test_metrics_sklearn): reads
// {"num_labels": n, "true": [...], "pred": [...], "labels": [...]?, "loss": [...]?} and prints
// compute_metrics(...).to_json(), so the metrics can be compared with scikit-learn's.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.h"
#include "common/io.h"
#include "common/json_input.h"
#include "evaluation/metrics.h"

namespace {

void run_metrics_check(const std::string& path) {
  const nlohmann::json in = bertft::parse_json_object(bertft::read_file(path), path);
  const auto truth = in.at("true").get<std::vector<int32_t>>();
  const auto pred = in.at("pred").get<std::vector<int32_t>>();
  const auto names = in.value("labels", std::vector<std::string>{});
  const auto loss = in.value("loss", std::vector<float>{});
  const bertft::ClassificationMetrics m =
      bertft::compute_metrics(truth, pred, in.at("num_labels").get<int>(), names, loss);
  std::printf("%s\n", m.to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

void setup_metrics_check(CLI::App& app) {
  auto input = std::make_shared<std::string>();
  CLI::App* sub = app.add_subcommand("metrics-check", "Debug: classification metrics of label vectors");
  sub->group("");  // hidden from --help: a test hook, not a user command
  sub->add_option("input", *input, "JSON file {num_labels, true, pred, labels?, loss?}")->required();
  sub->callback([input] { run_metrics_check(*input); });
}

const bool registered = bertft::register_command("metrics-check", setup_metrics_check);

}  // namespace
