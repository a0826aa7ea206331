// report.html of a train run: the result before the configuration, and loss curves on fitted axes.
#include "evaluation/run_report.h"

#include <gtest/gtest.h>

#include <string>

namespace bertft {
namespace {

// The y tick labels of the first SVG after `from` (drawn right-aligned left of the plot), bottom to top.
std::vector<double> y_ticks_after(const std::string& html, size_t from) {
  const size_t end = html.find("</svg>", from);
  std::vector<double> ticks;
  const std::string label = "class=\"tick\" x=\"66.0\"";  // y tick labels sit 6 px left of the plot
  for (size_t p = html.find(label, from); p < end; p = html.find(label, p + 1))
    ticks.push_back(std::stod(html.substr(html.find('>', p) + 1)));
  return ticks;
}

TEST(RunReport, ResultFirstConfigurationLastLossAxisFitted) {
  RunReport r;
  r.title = "bertft train: out";
  r.facts = {{"test accuracy / F1", "0.9000 / 0.9000"}, {"model", "models/imdb-bert"}};
  r.configuration = {{"learning-rate", 1e-4}, {"epochs", 1}};
  r.log_history = nlohmann::json::array();
  for (int step = 1; step <= 20; step++)
    r.log_history.push_back({{"step", step}, {"loss", 0.70 - 0.005 * step}, {"learning_rate", 1e-4 * (1 - step / 20.0)},
                             {"grad_norm", 2.0 + 0.01 * step}});
  const std::string html = render_run_report(r);
  const size_t facts = html.find("<dl class=\"facts\">"), result = html.find("test accuracy / F1"),
               training = html.find("id=\"training\""), loss = html.find("<title>Loss</title>"),
               configuration = html.find("<h2 id=\"configuration\">"), learning_rate = html.find("learning-rate");
  ASSERT_NE(configuration, std::string::npos);
  EXPECT_LT(facts, result);
  EXPECT_LT(result, training);
  EXPECT_LT(training, loss);
  EXPECT_LT(loss, configuration);
  EXPECT_LT(configuration, learning_rate);
  // The loss goes from 0.695 to 0.60: its axis starts near 0.6, not at 0; the learning rate's at 0.
  const std::vector<double> loss_ticks = y_ticks_after(html, loss);
  ASSERT_GE(loss_ticks.size(), 2u);
  EXPECT_GE(loss_ticks.front(), 0.55);
  EXPECT_LE(loss_ticks.front(), 0.6);
  EXPECT_GE(loss_ticks.back(), 0.695);
  EXPECT_LE(loss_ticks.back(), 0.75);
  EXPECT_EQ(y_ticks_after(html, html.find("<title>Learning rate</title>")).front(), 0);
  const std::vector<double> grad_ticks = y_ticks_after(html, html.find("<title>Gradient norm</title>"));
  EXPECT_GE(grad_ticks.front(), 1.9);
}

}  // namespace
}  // namespace bertft
