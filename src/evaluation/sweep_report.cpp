#include "evaluation/sweep_report.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>

#include "common/error.h"
#include "common/io.h"
#include "common/svg_chart.h"
#include "evaluation/run_report.h"

namespace fs = std::filesystem;

namespace bertft {

namespace {

using json = nlohmann::json;

constexpr size_t kMaxCurvePoints = 200;

bool lower_is_better(const std::string& metric) { return metric == "loss"; }

std::optional<double> valid_metric(const SweepRunResult& r, const std::string& metric) {
  if (r.metrics.is_null() || !r.metrics.contains("valid")) return std::nullopt;
  const json& valid = r.metrics["valid"];
  if (!valid.contains(metric) || !valid[metric].is_number()) return std::nullopt;
  return valid[metric].get<double>();
}

std::optional<double> number_at(const json& object, const char* split, const char* key) {
  if (object.is_null() || !object.contains(split) || !object[split].contains(key)) return std::nullopt;
  return object[split][key].get<double>();
}

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::optional<double> parse_number(const std::string& s) {
  double v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

struct Column {
  std::string name;
  std::function<std::string(const SweepRunResult&)> value;
};

std::vector<Column> columns(const std::vector<GridAxis>& axes, const std::vector<SweepRunResult>& ranked,
                            const std::string& metric) {
  std::vector<Column> out;
  out.push_back({"run", [](const SweepRunResult& r) { return r.run.name; }});
  for (size_t a = 0; a < axes.size(); a++)
    out.push_back({axes[a].option, [a](const SweepRunResult& r) { return r.run.settings[a].second; }});
  auto metric_column = [](const char* split, std::string key) {
    return Column{std::string(split) + "_" + key, [split, key](const SweepRunResult& r) {
                    const auto v = number_at(r.metrics, split, key.c_str());
                    return v ? fmt("%.4f", *v) : std::string();
                  }};
  };
  std::vector<std::string> valid_keys = {metric};
  for (const char* k : {"accuracy", "f1", "macro_f1", "loss"})
    if (k != metric) valid_keys.push_back(k);
  for (const std::string& k : valid_keys) out.push_back(metric_column("valid", k));
  const bool any_test = std::any_of(ranked.begin(), ranked.end(), [](const SweepRunResult& r) {
    return !r.metrics.is_null() && r.metrics.contains("test");
  });
  if (any_test) {
    out.push_back(metric_column("test", "accuracy"));
    out.push_back(metric_column("test", "f1"));
  }
  auto integer = [](const char* key) {
    return Column{key, [key](const SweepRunResult& r) {
                    return r.metrics.is_null() ? std::string() : std::to_string(r.metrics.value(key, int64_t{-1}));
                  }};
  };
  out.push_back(integer("best_step"));
  out.push_back(integer("global_step"));
  out.push_back({"train_seconds", [](const SweepRunResult& r) {
                   return r.metrics.is_null() ? std::string() : fmt("%.1f", r.metrics.value("train_seconds", 0.0));
                 }});
  out.push_back({"status", [](const SweepRunResult& r) {
                   return !r.error.empty() ? "failed: " + r.error : r.metrics.is_null() ? "not finished" : "done";
                 }});
  return out;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string md_field(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n' || c == '\r') out += ' ';
    else out += c;
  }
  return out;
}

int legend_height(size_t runs) { return std::max(440, 120 + 15 * static_cast<int>(runs)); }

std::string metric_vs_option(const GridAxis& axis, size_t a, const std::vector<SweepRunResult>& ranked,
                             const std::string& metric) {
  std::vector<double> xs;
  bool numeric = true;
  for (const std::string& v : axis.values) {
    const auto x = parse_number(v);
    numeric = numeric && x.has_value();
    xs.push_back(x.value_or(0));
  }
  if (!numeric)
    for (size_t i = 0; i < xs.size(); i++) xs[i] = static_cast<double>(i);
  Chart c;
  c.title = "valid " + metric + " by " + axis.option;
  c.subtitle = "every run (dots) and the best run at each value (line)";
  c.x_label = axis.option;
  c.y_label = "valid " + metric;
  c.y_from_zero = false;
  ChartSeries runs{"runs", {}, "#4e79a7", false, true};
  ChartSeries best{"best", {}, "#e15759", true, false};
  for (size_t i = 0; i < axis.values.size(); i++) {
    std::optional<double> top;
    for (const SweepRunResult& r : ranked) {
      const auto y = valid_metric(r, metric);
      if (!y || r.run.settings[a].second != axis.values[i]) continue;
      runs.points.push_back({xs[i], *y});
      if (!top || (lower_is_better(metric) ? *y < *top : *y > *top)) top = y;
    }
    if (top) best.points.push_back({xs[i], *top});
  }
  std::sort(best.points.begin(), best.points.end(), [](auto& p, auto& q) { return p.x < q.x; });
  c.series = {runs, best};
  if (!numeric)
    for (size_t i = 0; i < axis.values.size(); i++) c.markers.push_back({xs[i], axis.values[i], "#999", true});
  return render_svg(c);
}

std::string curves(const std::vector<SweepRunResult>& ranked, const std::string& key, const std::string& title,
                   const std::string& y_label, bool dots) {
  Chart c;
  c.title = title;
  c.x_label = "step";
  c.y_label = y_label;
  c.y_from_zero = !dots;
  c.height = legend_height(ranked.size());
  for (const SweepRunResult& r : ranked) {
    std::vector<ChartPoint> points = log_series(r.log, key);
    if (points.empty()) continue;
    if (!dots) {
      if (points.size() > kMaxCurvePoints)
        c.subtitle = "mean over consecutive steps, at most " + std::to_string(kMaxCurvePoints) + " points a run";
      points = bucket_means(points, kMaxCurvePoints);
    }
    c.series.push_back({r.run.name, std::move(points), "", true, dots});
  }
  return render_svg(c);
}

}  // namespace

SweepRunResult load_sweep_run(const SweepRun& run, const std::string& run_dir) {
  SweepRunResult r;
  r.run = run;
  r.log = json::array();
  const fs::path metrics = fs::path(run_dir) / "metrics.json";
  std::error_code ec;
  if (fs::exists(metrics, ec)) {
    try {
      r.metrics = json::parse(read_file(metrics.string()));
    } catch (const json::exception& e) {
      fail_file(metrics.string(), std::string("not valid JSON: ") + e.what());
    }
  }
  const fs::path log = fs::path(run_dir) / "log.jsonl";
  if (fs::exists(log, ec)) {
    const std::string text = read_file(log.string());
    size_t pos = 0, line = 0;
    while (pos < text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      line++;
      const std::string entry = text.substr(pos, end - pos);
      pos = end + 1;
      if (entry.empty()) continue;
      try {
        r.log.push_back(json::parse(entry));
      } catch (const json::exception& e) {
        fail_file(log.string() + ":" + std::to_string(line), std::string("not valid JSON: ") + e.what());
      }
    }
  }
  return r;
}

std::vector<SweepRunResult> rank_sweep_runs(std::vector<SweepRunResult> results, const std::string& metric) {
  std::stable_sort(results.begin(), results.end(), [&](const SweepRunResult& a, const SweepRunResult& b) {
    const auto x = valid_metric(a, metric), y = valid_metric(b, metric);
    if (!x || !y) return x.has_value() && !y.has_value();
    return lower_is_better(metric) ? *x < *y : *x > *y;
  });
  return results;
}

void write_sweep_report(const std::string& output_dir, const std::vector<GridAxis>& axes,
                        const std::vector<SweepRunResult>& ranked, const std::string& metric) {
  const std::vector<Column> cols = columns(axes, ranked, metric);
  std::string csv, md;
  for (size_t i = 0; i < cols.size(); i++) csv += (i ? "," : "") + csv_field(cols[i].name);
  csv += "\n";
  md = "# Sweep results\n\n" + std::to_string(ranked.size()) + " runs, best first by validation " + metric +
       (lower_is_better(metric) ? " (lowest first)" : "") + ".\n\n|";
  for (const Column& c : cols) md += " " + md_field(c.name) + " |";
  md += "\n|";
  for (size_t i = 0; i < cols.size(); i++)  // the run, its settings and the status are text; the rest numbers
    md += i <= axes.size() || i + 1 == cols.size() ? " --- |" : " ---: |";
  md += "\n";
  for (const SweepRunResult& r : ranked) {
    md += "|";
    for (size_t i = 0; i < cols.size(); i++) {
      const std::string value = cols[i].value(r);
      csv += (i ? "," : "") + csv_field(value);
      md += " " + md_field(value) + " |";
    }
    csv += "\n";
    md += "\n";
  }
  md += "\n## Charts\n\n";
  const fs::path dir(output_dir);
  for (size_t a = 0; a < axes.size(); a++) {
    const std::string file = "metric-vs-" + axes[a].option + ".svg";
    write_file_atomic((dir / file).string(), metric_vs_option(axes[a], a, ranked, metric));
    md += "![valid " + metric + " by " + axes[a].option + "](" + file + ")\n\n";
  }
  write_file_atomic((dir / "training-loss.svg").string(),
                    curves(ranked, "loss", "Training loss of every run", "cross-entropy", false));
  write_file_atomic((dir / "validation-curves.svg").string(),
                    curves(ranked, "eval_" + metric, "Validation " + metric + " of every run", "valid " + metric, true));
  md += "![training loss of every run](training-loss.svg)\n\n![validation " + metric +
        " of every run](validation-curves.svg)\n";
  write_file_atomic((dir / "results.csv").string(), csv);
  write_file_atomic((dir / "results.md").string(), md);
}

}  // namespace bertft
