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
  // The polyline has the 3 finite points; the y ticks start at 0.8, not 0.
  const size_t start = svg.find("points=\"") + 8;
  const std::string points = svg.substr(start, svg.find('"', start) - start);
  EXPECT_EQ(count(points, ","), 3u);
  EXPECT_NE(svg.find(">0.8</text>"), std::string::npos);
  EXPECT_EQ(svg.find("text-anchor=\"end\">0</text>"), std::string::npos);
}

}  // namespace
}  // namespace bertft
