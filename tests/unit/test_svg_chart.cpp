// The SVG chart helper shared by analyze --plot, run reports and sweeps: ticks, escaping, layers.
#include "common/svg_chart.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace bertft {
namespace {

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t p = haystack.find(needle); p != std::string::npos; p = haystack.find(needle, p + 1)) n++;
  return n;
}

// The y tick labels (drawn right-aligned left of the plot), bottom to top.
std::vector<double> y_ticks(const std::string& svg) {
  std::vector<double> ticks;
  const std::string marker = "class=\"tick\"", label = "text-anchor=\"end\">";
  for (size_t p = svg.find(marker); p != std::string::npos; p = svg.find(marker, p + 1)) {
    const size_t tag_end = svg.find('>', p);
    const size_t at = svg.find(label, p);
    if (at == std::string::npos || at + label.size() - 1 != tag_end) continue;
    ticks.push_back(std::stod(svg.substr(at + label.size())));
  }
  return ticks;
}

TEST(SvgChart, NiceTicks) {
  EXPECT_EQ(nice_ticks(0, 1000), (std::vector<double>{0, 200, 400, 600, 800, 1000}));
  EXPECT_EQ(nice_ticks(0, 48), (std::vector<double>{0, 10, 20, 30, 40, 50}));
  EXPECT_EQ(nice_ticks(0, 3, 5), (std::vector<double>{0, 1, 2, 3}));
  const std::vector<double> t = nice_ticks(0, 0.7, 5);
  EXPECT_NEAR(t[1], 0.2, 1e-12);
  EXPECT_GE(t.back(), 0.7);
}

TEST(SvgChart, RendersEscapedSelfContainedSvg) {
  Chart c;
  c.title = "lengths of <a & b>";
  c.x_label = "tokens";
  c.y_label = "examples";
  c.bars = {{0, 8, 3}, {8, 16, 5}};
  c.markers = {{12, "cut \"12\"", "#888", true}, {14, "recommended", "#d62728", false}};
  const std::string svg = render_svg(c);
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_NE(svg.find("<title>lengths of &lt;a &amp; b&gt;</title>"), std::string::npos);
  EXPECT_NE(svg.find("cut &quot;12&quot;"), std::string::npos);
  EXPECT_EQ(count(svg, "class=\"bar\""), 2u);
  EXPECT_EQ(count(svg, "class=\"marker\""), 2u);
  EXPECT_EQ(count(svg, "stroke-dasharray"), 1u);
  EXPECT_EQ(svg.find("href"), std::string::npos);  // nothing external
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
}

TEST(SvgChart, SeriesWithLegendDotsAndAnAxisFromTheSmallestValue) {
  Chart c;
  c.title = "curves";
  c.y_from_zero = false;
  c.series = {{"run <1>", {{0, 0.80}, {1, 0.85}, {2, NAN}, {3, 0.90}}, "", true, false},
              {"", {{1, 0.82}}, "#123456", false, true}};
  const std::string svg = render_svg(c);
  EXPECT_EQ(count(svg, "class=\"series\""), 1u);
  EXPECT_EQ(count(svg, "class=\"dot\""), 1u);
  EXPECT_EQ(count(svg, "class=\"legend\""), 1u);  // the unnamed series is not listed
  EXPECT_NE(svg.find("run &lt;1&gt;"), std::string::npos);
  EXPECT_NE(svg.find("fill=\"#123456\""), std::string::npos);
  // The polyline has the 3 finite points; the y ticks start just below 0.8, not at 0.
  const size_t start = svg.find("points=\"") + 8;
  const std::string points = svg.substr(start, svg.find('"', start) - start);
  EXPECT_EQ(count(points, ","), 3u);
  const std::vector<double> ticks = y_ticks(svg);
  ASSERT_GE(ticks.size(), 2u);
  EXPECT_LT(ticks.front(), 0.8);
  EXPECT_GE(ticks.front(), 0.7);
  EXPECT_GT(ticks.back(), 0.9);
  EXPECT_LE(ticks.back(), 1.0);
}

TEST(SvgChart, FittedAxisHasAMarginAndStaysNonNegative) {
  Chart c;
  c.y_from_zero = false;
  c.series = {{"", {{0, 0.70}, {1, 0.64}, {2, 0.60}}, "", true, false}};
  std::vector<double> ticks = y_ticks(render_svg(c));
  EXPECT_NEAR(ticks.front(), 0.58, 1e-9);  // 0.60 minus a margin, on a tick of 0.02
  EXPECT_NEAR(ticks.back(), 0.72, 1e-9);
  c.y_from_zero = true;
  EXPECT_EQ(y_ticks(render_svg(c)).front(), 0);
  // A loss going down to almost 0 is not fitted below 0.
  c.y_from_zero = false;
  c.series[0].points = {{0, 0.7}, {1, 0.01}};
  EXPECT_EQ(y_ticks(render_svg(c)).front(), 0);
}

}  // namespace
}  // namespace bertft
