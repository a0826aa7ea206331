#pragma once
// Small self-contained SVG charts (inline styles, no scripts, fonts or other external resources), for
// `bertft analyze --plot`, run reports and sweeps that embed charts in HTML. A chart is linear axes
// with "nice" ticks, a title (and optional subtitle), axis labels, and layers drawn in this order:
// bars (a histogram or bar chart), line series (with a legend when they are named), then vertical
// marker lines with labels.
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

struct ChartPoint {
  double x = 0, y = 0;
};

// A polyline through its points in the given order; `dots` also draws each point (for a few points,
// or a scatter with `line` off). An empty color takes the next of a fixed palette.
struct ChartSeries {
  std::string name;  // in the legend; "" = not listed
  std::vector<ChartPoint> points;
  std::string color;
  bool line = true;
  bool dots = false;
};

struct Chart {
  std::string title, subtitle, x_label, y_label;
  int width = 800, height = 440;  // pixels
  std::vector<ChartBar> bars;
  std::vector<ChartSeries> series;
  std::vector<ChartMarker> markers;
  // Else the y axis is fitted to the data: its smallest to its largest value widened by 5% of that range
  // on each side (never below 0 for non-negative data), then to nice ticks.
  bool y_from_zero = true;
};

// The x axis spans the bars, series and markers (from 0 when everything is non-negative), the y axis
// 0 to the largest bar or point (or the fitted range, see y_from_zero) widened to nice ticks; a legend of
// the named series is drawn right of the plot. Non-finite points are skipped. Text is XML-escaped.
// Elements carry classes (bar, series, dot, legend, marker, marker-label, axis, tick, title,
// subtitle, x-label, y-label) so tests and style sheets can find them.
std::string render_svg(const Chart& chart);

// Text for XML / HTML content and quoted attribute values: & < > " escaped.
std::string escape_xml(const std::string& text);

// Tick values covering [lo, hi] at a step of 1, 2 or 5 x 10^k giving about `target` intervals; the
// first tick is <= lo and the last >= hi. lo < hi required.
std::vector<double> nice_ticks(double lo, double hi, int target = 6);

}  // namespace bertft
