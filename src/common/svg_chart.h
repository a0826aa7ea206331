#pragma once
// Small self-contained SVG charts (inline styles, no scripts, fonts or other external resources), for
// `bertft analyze --plot` and reports that embed charts in HTML. A chart is linear axes with "nice"
// ticks, a title (and optional subtitle), axis labels, and layers drawn in this order: bars (a
// histogram or bar chart), then vertical marker lines with labels. New kinds of layers (line series)
// belong here as further members of Chart.
#include <string>
#include <vector>

namespace bertft {

struct ChartBar {
  double x0 = 0, x1 = 0;  // the bar spans [x0, x1] on the x axis
  double value = 0;       // its height on the y axis
};

// A vertical line across the plot at x, labelled at its top.
struct ChartMarker {
  double x = 0;
  std::string label;
  std::string color = "#555";
  bool dashed = false;
};

struct Chart {
  std::string title, subtitle, x_label, y_label;
  int width = 800, height = 440;  // pixels
  std::vector<ChartBar> bars;
  std::vector<ChartMarker> markers;
};

// The x axis spans the bars and markers (from 0 when everything is non-negative), the y axis 0 to
// the largest bar widened to a nice tick value. Text is XML-escaped. Elements carry classes
// (bar, marker, marker-label, axis, tick, title, subtitle, x-label, y-label) so tests and style sheets
// can find them.
std::string render_svg(const Chart& chart);

// Tick values covering [lo, hi] at a step of 1, 2 or 5 x 10^k giving about `target` intervals; the
// first tick is <= lo and the last >= hi. lo < hi required.
std::vector<double> nice_ticks(double lo, double hi, int target = 6);

}  // namespace bertft
