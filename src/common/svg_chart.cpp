#include "common/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace bertft {

namespace {

constexpr double kLeft = 72, kRight = 24, kTop = 64, kBottom = 56;  // plot margins, pixels
constexpr double kCharWidth = 6.5;                                   // estimate at font-size 11
constexpr double kLegendSwatch = 18;                                 // legend line sample + gap
const char* const kPalette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

// Coordinates with one decimal.
std::string px(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// Tick labels: integers without a decimal point, else up to 6 significant digits.
std::string number(double v) {
  char buf[32];
  if (std::fabs(v - std::round(v)) < 1e-9 * std::max(1.0, std::fabs(v)))
    std::snprintf(buf, sizeof buf, "%.0f", std::round(v));
  else
    std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

std::string escape_xml(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  const double raw = (hi - lo) / std::max(1, target);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / magnitude;
  const double step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * magnitude;
  const double first = std::floor(lo / step), last = std::ceil(hi / step);
  std::vector<double> ticks;
  for (double k = first; k <= last; k++) ticks.push_back(k * step);
  if (ticks.size() < 2) ticks.push_back(ticks.back() + step);
  return ticks;
}

std::string render_svg(const Chart& chart) {
  const double W = chart.width, H = chart.height;
  size_t legend_chars = 0;
  for (const ChartSeries& series : chart.series) legend_chars = std::max(legend_chars, series.name.size());
  const double legend_width = legend_chars ? kLegendSwatch + kCharWidth * static_cast<double>(legend_chars) + 12 : 0;
  const double left = kLeft, right = W - kRight - legend_width, top = kTop, bottom = H - kBottom;

  double x_lo = 0, x_hi = 0, y_hi = 0;
  double y_lo = chart.y_from_zero ? 0 : std::numeric_limits<double>::infinity();
  bool first = true, first_y = chart.bars.empty() && !chart.y_from_zero;
  auto extend = [&](double x) {
    x_lo = first ? x : std::min(x_lo, x);
    x_hi = first ? x : std::max(x_hi, x);
    first = false;
  };
  for (const ChartBar& b : chart.bars) {
    extend(b.x0);
    extend(b.x1);
    y_hi = std::max(y_hi, b.value);
  }
  for (const ChartSeries& series : chart.series)
    for (const ChartPoint& p : series.points) {
      if (!std::isfinite(p.x) || !std::isfinite(p.y)) continue;
      extend(p.x);
      if (first_y) y_hi = p.y;
      first_y = false;
      y_hi = std::max(y_hi, p.y);
      y_lo = std::min(y_lo, p.y);
    }
  for (const ChartMarker& m : chart.markers) extend(m.x);
  x_lo = std::min(x_lo, 0.0);
  if (x_hi <= x_lo) x_hi = x_lo + 1;
  if (!std::isfinite(y_lo)) y_lo = 0;
  if (chart.y_from_zero) y_hi = std::max(y_hi, 0.0);
  if (y_hi <= y_lo) y_hi = y_lo + (y_lo == 0 ? 1 : std::fabs(y_lo) * 0.01);
  if (!chart.y_from_zero) {
    // A margin so that the extremes do not sit on the frame; non-negative data stays non-negative.
    const double margin = 0.05 * (y_hi - y_lo);
    y_lo = y_lo >= 0 ? std::max(0.0, y_lo - margin) : y_lo - margin;
    y_hi += margin;
  }
  // x spans the data exactly (ticks inside it), y ends on a tick.
  std::vector<double> x_ticks;
  for (double x : nice_ticks(x_lo, x_hi))
    if (x >= x_lo - 1e-9 * (x_hi - x_lo) && x <= x_hi + 1e-9 * (x_hi - x_lo)) x_ticks.push_back(x);
  std::vector<double> y_ticks = nice_ticks(y_lo, y_hi, 5);
  // A fitted axis takes finer ticks until the data fills most of the plot's height.
  for (int target = 6; !chart.y_from_zero && target <= 10 && y_ticks.back() - y_ticks.front() > 1.5 * (y_hi - y_lo);
       target++)
    y_ticks = nice_ticks(y_lo, y_hi, target);
  const double x0 = x_lo, x1 = x_hi, y0 = y_ticks.front(), y1 = y_ticks.back();
  auto sx = [&](double x) { return left + (x - x0) / (x1 - x0) * (right - left); };
  auto sy = [&](double y) { return bottom - (y - y0) / (y1 - y0) * (bottom - top); };

  std::string s;
  s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + number(W) + "\" height=\"" + number(H) +
       "\" viewBox=\"0 0 " + number(W) + " " + number(H) + "\" font-family=\"sans-serif\" font-size=\"11\">\n";
  s += "<title>" + escape_xml(chart.title) + "</title>\n";
  s += "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n";
  s += "<text class=\"title\" x=\"" + px(W / 2) + "\" y=\"24\" text-anchor=\"middle\" font-size=\"15\" "
       "font-weight=\"bold\">" + escape_xml(chart.title) + "</text>\n";
  if (!chart.subtitle.empty())
    s += "<text class=\"subtitle\" x=\"" + px(W / 2) + "\" y=\"42\" text-anchor=\"middle\" fill=\"#444\">" +
         escape_xml(chart.subtitle) + "</text>\n";

  // Grid and ticks.
  for (double y : y_ticks) {
    s += "<line class=\"grid\" x1=\"" + px(left) + "\" x2=\"" + px(right) + "\" y1=\"" + px(sy(y)) + "\" y2=\"" +
         px(sy(y)) + "\" stroke=\"#e5e5e5\"/>\n";
    s += "<text class=\"tick\" x=\"" + px(left - 6) + "\" y=\"" + px(sy(y) + 4) + "\" text-anchor=\"end\">" +
         number(y) + "</text>\n";
  }
  for (double x : x_ticks) {
    s += "<line class=\"tick\" x1=\"" + px(sx(x)) + "\" x2=\"" + px(sx(x)) + "\" y1=\"" + px(bottom) + "\" y2=\"" +
         px(bottom + 5) + "\" stroke=\"#333\"/>\n";
    s += "<text class=\"tick\" x=\"" + px(sx(x)) + "\" y=\"" + px(bottom + 18) + "\" text-anchor=\"middle\">" +
         number(x) + "</text>\n";
  }

  for (const ChartBar& b : chart.bars) {
    const double top_px = sy(b.value);
    s += "<rect class=\"bar\" x=\"" + px(sx(b.x0)) + "\" y=\"" + px(top_px) + "\" width=\"" +
         px(std::max(0.0, sx(b.x1) - sx(b.x0))) + "\" height=\"" + px(bottom - top_px) +
         "\" fill=\"#4e79a7\" stroke=\"#fff\" stroke-width=\"0.5\"><title>" + number(b.x0) + "-" + number(b.x1) +
         ": " + number(b.value) + "</title></rect>\n";
  }

  size_t palette_next = 0, legend_row = 0;
  for (const ChartSeries& series : chart.series) {
    const std::string color =
        series.color.empty() ? kPalette[palette_next++ % (sizeof kPalette / sizeof *kPalette)] : series.color;
    std::string points;
    for (const ChartPoint& p : series.points)
      if (std::isfinite(p.x) && std::isfinite(p.y)) points += (points.empty() ? "" : " ") + px(sx(p.x)) + "," + px(sy(p.y));
    if (series.line && !points.empty())
      s += "<polyline class=\"series\" points=\"" + points + "\" fill=\"none\" stroke=\"" + escape_xml(color) +
           "\" stroke-width=\"1.5\" stroke-linejoin=\"round\"><title>" + escape_xml(series.name) +
           "</title></polyline>\n";
    if (series.dots)
      for (const ChartPoint& p : series.points) {
        if (!std::isfinite(p.x) || !std::isfinite(p.y)) continue;
        s += "<circle class=\"dot\" cx=\"" + px(sx(p.x)) + "\" cy=\"" + px(sy(p.y)) + "\" r=\"3\" fill=\"" +
             escape_xml(color) + "\"><title>" + escape_xml(series.name) + (series.name.empty() ? "" : ": ") +
             number(p.x) + ", " + number(p.y) + "</title></circle>\n";
      }
    if (series.name.empty()) continue;
    const double ly = top + 6 + 15 * static_cast<double>(legend_row++);
    s += "<g class=\"legend\"><line x1=\"" + px(right + 12) + "\" x2=\"" + px(right + 12 + kLegendSwatch - 4) +
         "\" y1=\"" + px(ly) + "\" y2=\"" + px(ly) + "\" stroke=\"" + escape_xml(color) +
         "\" stroke-width=\"3\"/><text x=\"" + px(right + 12 + kLegendSwatch) + "\" y=\"" + px(ly + 4) + "\">" +
         escape_xml(series.name) + "</text></g>\n";
  }

  s += "<line class=\"axis\" x1=\"" + px(left) + "\" x2=\"" + px(right) + "\" y1=\"" + px(bottom) + "\" y2=\"" +
       px(bottom) + "\" stroke=\"#333\"/>\n";
  s += "<line class=\"axis\" x1=\"" + px(left) + "\" x2=\"" + px(left) + "\" y1=\"" + px(top) + "\" y2=\"" +
       px(bottom) + "\" stroke=\"#333\"/>\n";

  // Markers in x order; each label goes on the first row where it does not overlap the previous one.
  std::vector<const ChartMarker*> markers;
  for (const ChartMarker& m : chart.markers) markers.push_back(&m);
  std::stable_sort(markers.begin(), markers.end(), [](auto* a, auto* b) { return a->x < b->x; });
  std::vector<double> row_end;
  for (const ChartMarker* m : markers) {
    const double x = sx(m->x), width = kCharWidth * static_cast<double>(m->label.size());
    const bool flip = x + 3 + width > right;  // label left of the line near the right edge
    const double start = flip ? x - 3 - width : x + 3;
    size_t row = 0;
    while (row < row_end.size() && start < row_end[row] + 4) row++;
    if (row == row_end.size()) row_end.push_back(0);
    row_end[row] = start + width;
    s += "<line class=\"marker\" x1=\"" + px(x) + "\" x2=\"" + px(x) + "\" y1=\"" + px(top) + "\" y2=\"" +
         px(bottom) + "\" stroke=\"" + escape_xml(m->color) + "\" stroke-width=\"1.5\"" +
         (m->dashed ? " stroke-dasharray=\"5,4\"" : "") + "/>\n";
    s += "<text class=\"marker-label\" x=\"" + px(flip ? x - 3 : x + 3) + "\" y=\"" +
         px(top + 11 + 13 * static_cast<double>(row)) + "\"" + (flip ? " text-anchor=\"end\"" : "") + " fill=\"" +
         escape_xml(m->color) + "\">" + escape_xml(m->label) + "</text>\n";
  }

  s += "<text class=\"x-label\" x=\"" + px((left + right) / 2) + "\" y=\"" + px(H - 14) +
       "\" text-anchor=\"middle\" font-size=\"12\">" + escape_xml(chart.x_label) + "</text>\n";
  s += "<text class=\"y-label\" transform=\"translate(16," + px((top + bottom) / 2) +
       ") rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">" + escape_xml(chart.y_label) + "</text>\n";
  s += "</svg>\n";
  return s;
}

}  // namespace bertft
