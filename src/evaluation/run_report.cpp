#include "evaluation/run_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace bertft {

namespace {

using json = nlohmann::json;

constexpr size_t kMaxCurvePoints = 400;
constexpr size_t kMistakeTextBytes = 600;

const char* const kStyle = R"(
body { font-family: sans-serif; margin: 24px auto; max-width: 1100px; color: #222; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 18px; margin-top: 36px; border-bottom: 1px solid #ddd; }
h3 { font-size: 15px; margin-top: 24px; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: right; vertical-align: top; }
th { background: #f5f5f5; } td.text, th.text { text-align: left; }
tr.best td { background: #fff6d5; }
.facts { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; font-size: 14px; }
.facts dt { color: #555; } .facts dd { margin: 0; font-weight: bold; }
.charts { display: flex; flex-wrap: wrap; gap: 8px; }
.heatmap td { min-width: 64px; text-align: center; }
.mistake { max-width: 640px; white-space: pre-wrap; word-break: break-word; }
.note { color: #555; font-size: 13px; }
)";

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string metric(double v) { return std::isfinite(v) ? fmt("%.4f", v) : "–"; }

std::string cell(const std::string& text, const char* cls = nullptr) {
  return std::string("<td") + (cls ? std::string(" class=\"") + cls + "\"" : "") + ">" + escape_xml(text) + "</td>";
}

std::string json_text(const json& value) { return value.is_string() ? value.get<std::string>() : value.dump(); }

// At most max_bytes of text, cut at a UTF-8 character boundary, with "…" when cut.
std::string utf8_prefix(const std::string& text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) end--;
  return text.substr(0, end) + "…";
}

std::string chart(Chart c) {
  c.width = 540;
  c.height = 320;
  return render_svg(c);
}

std::string training_curves(const RunReport& r) {
  const std::vector<ChartPoint> loss = log_series(r.log_history, "loss");
  if (loss.empty()) return "<p class=\"note\">No training steps were logged.</p>\n";
  const std::string bucket_note =
      loss.size() > kMaxCurvePoints ? "mean over runs of " + std::to_string((loss.size() + kMaxCurvePoints - 1) / kMaxCurvePoints) + " steps" : "every step";
  Chart l;
  l.title = "Loss";
  l.subtitle = "training: " + bucket_note;
  l.x_label = "step";
  l.y_label = "cross-entropy";
  l.y_from_zero = false;  // fitted: a loss moving between 0.60 and 0.70 is not a flat line at the top
  l.series.push_back({"training", bucket_means(loss, kMaxCurvePoints), "", true, false});
  const std::vector<ChartPoint> eval_loss = log_series(r.log_history, "eval_loss");
  if (!eval_loss.empty()) l.series.push_back({"validation", eval_loss, "", true, true});
  Chart lr;
  lr.title = "Learning rate";
  lr.x_label = "step";
  lr.y_label = "learning rate";
  lr.series.push_back({"", bucket_means(log_series(r.log_history, "learning_rate"), kMaxCurvePoints), "", true, false});
  Chart g;
  g.title = "Gradient norm";
  g.subtitle = "before clipping; " + bucket_note;
  g.x_label = "step";
  g.y_label = "global L2 norm";
  g.y_from_zero = false;
  g.series.push_back({"", bucket_means(log_series(r.log_history, "grad_norm"), kMaxCurvePoints), "", true, false});
  return "<div class=\"charts\">\n" + chart(l) + chart(lr) + chart(g) + "</div>\n";
}

std::string evaluations(const RunReport& r) {
  std::vector<const json*> evals;
  for (const json& entry : r.log_history)
    if (entry.contains("eval_accuracy")) evals.push_back(&entry);
  if (evals.empty()) return "<p class=\"note\">No evaluations during training (no validation set, or --eval-strategy no).</p>\n";
  Chart c;
  c.title = "Validation metrics";
  c.x_label = "step";
  c.y_label = "score";
  c.y_from_zero = false;
  for (const char* key : {"eval_accuracy", "eval_f1", "eval_macro_f1"})
    c.series.push_back({std::string(key).substr(5), log_series(r.log_history, key), "", true, true});
  std::string s = "<div class=\"charts\">\n" + chart(c) + "</div>\n<table>\n<tr><th>step</th><th>epoch</th>"
                  "<th>loss</th><th>accuracy</th><th>precision</th><th>recall</th><th>f1</th><th>macro F1</th>"
                  "<th>micro F1</th></tr>\n";
  auto value = [](const json& e, const char* key) { return e.contains(key) ? metric(e[key].get<double>()) : "–"; };
  for (const json* e : evals) {
    const bool best = (*e)["step"].get<int64_t>() == r.best_step;
    s += std::string("<tr") + (best ? " class=\"best\"" : "") + ">" + cell(std::to_string((*e)["step"].get<int64_t>())) +
         cell(fmt("%.2f", e->value("epoch", 0.0))) + cell(value(*e, "eval_loss")) + cell(value(*e, "eval_accuracy")) +
         cell(value(*e, "eval_precision")) + cell(value(*e, "eval_recall")) + cell(value(*e, "eval_f1")) +
         cell(value(*e, "eval_macro_f1")) + cell(value(*e, "eval_micro_f1")) + "</tr>\n";
  }
  s += "</table>\n<p class=\"note\">Highlighted: the model kept in the output directory (best " +
       escape_xml(r.metric_for_best_model) + ").</p>\n";
  return s;
}

std::string headline(const ClassificationMetrics& m) {
  std::string s = "<table>\n<tr><th class=\"text\"></th><th>precision</th><th>recall</th><th>F1</th></tr>\n";
  if (m.binary_f1)
    s += "<tr>" + cell("binary (positive class " + m.per_class.back().label + ")", "text") +
         cell(metric(*m.binary_precision)) + cell(metric(*m.binary_recall)) + cell(metric(*m.binary_f1)) + "</tr>\n";
  s += "<tr>" + cell("macro", "text") + cell(metric(m.macro_precision)) + cell(metric(m.macro_recall)) +
       cell(metric(m.macro_f1)) + "</tr>\n";
  s += "<tr>" + cell("micro", "text") + cell(metric(m.micro_precision)) + cell(metric(m.micro_recall)) +
       cell(metric(m.micro_f1)) + "</tr>\n";
  s += "<tr>" + cell("weighted", "text") + cell(metric(m.weighted_precision)) + cell(metric(m.weighted_recall)) +
       cell(metric(m.weighted_f1)) + "</tr>\n</table>\n";
  return s;
}

// Rows are true classes, columns predictions; a cell's shade is its share of the row.
std::string heatmap(const ClassificationMetrics& m) {
  std::string s = "<table class=\"heatmap\">\n<tr><th class=\"text\">true \\ predicted</th>";
  for (const ClassMetrics& c : m.per_class) s += "<th>" + escape_xml(c.label) + "</th>";
  s += "</tr>\n";
  for (size_t t = 0; t < m.confusion_matrix.size(); t++) {
    int64_t row_total = 0;
    for (int64_t v : m.confusion_matrix[t]) row_total += v;
    s += "<tr><th class=\"text\">" + escape_xml(m.per_class[t].label) + "</th>";
    for (size_t p = 0; p < m.confusion_matrix[t].size(); p++) {
      const int64_t v = m.confusion_matrix[t][p];
      const double share = row_total ? static_cast<double>(v) / static_cast<double>(row_total) : 0;
      const std::string rgb = t == p ? "78,121,167" : "225,87,89";
      s += "<td style=\"background: rgba(" + rgb + "," + fmt("%.3f", share) + ");" +
           (share > 0.55 ? " color: #fff;" : "") + "\" title=\"" + fmt("%.1f", 100 * share) + "% of the row\">" +
           std::to_string(v) + "</td>";
    }
    s += "</tr>\n";
  }
  return s + "</table>\n";
}

std::string per_class(const ClassificationMetrics& m) {
  std::string s = "<table>\n<tr><th class=\"text\">class</th><th>precision</th><th>recall</th><th>F1</th>"
                  "<th>support</th></tr>\n";
  for (const ClassMetrics& c : m.per_class)
    s += "<tr>" + cell(c.label, "text") + cell(metric(c.precision)) + cell(metric(c.recall)) + cell(metric(c.f1)) +
         cell(std::to_string(c.support)) + "</tr>\n";
  return s + "</table>\n";
}

std::string mistakes(const ReportSplit& split, int max_mistakes) {
  const int C = split.metrics.num_labels;
  std::vector<int32_t> labels;
  for (const Example& ex : split.data->examples) labels.push_back(ex.label);
  const std::vector<size_t> wrong = confident_mistakes(split.evaluation, labels, C);
  if (wrong.empty()) return "<p class=\"note\">No mistakes.</p>\n";
  std::string s = "<p class=\"note\">" + std::to_string(wrong.size()) + " mistakes; the " +
                  std::to_string(std::min<size_t>(wrong.size(), max_mistakes)) + " most confident:</p>\n"
                  "<table>\n<tr><th>confidence</th><th class=\"text\">true</th><th class=\"text\">predicted</th>"
                  "<th class=\"text\">text</th><th class=\"text\">origin</th></tr>\n";
  for (size_t k = 0; k < wrong.size() && k < static_cast<size_t>(max_mistakes); k++) {
    const size_t i = wrong[k];
    const Example& ex = split.data->examples[i];
    std::string text = ex.text_pair.empty() ? ex.text : ex.text + " ‖ " + ex.text_pair;
    s += "<tr>" + cell(fmt("%.3f", confidence(split.evaluation, i, C))) +
         cell(split.metrics.per_class[ex.label].label, "text") +
         cell(split.metrics.per_class[split.evaluation.predicted[i]].label, "text") +
         cell(utf8_prefix(text, kMistakeTextBytes), "text mistake") + cell(ex.origin, "text") + "</tr>\n";
  }
  return s + "</table>\n";
}

std::string split_section(const ReportSplit& split, int max_mistakes) {
  const ClassificationMetrics& m = split.metrics;
  std::string s = "<h2 id=\"" + escape_xml(split.name) + "\">" + escape_xml(split.name) + " set, best model</h2>\n";
  s += "<p>" + std::to_string(m.num_examples) + " examples: accuracy <b>" + metric(m.accuracy) + "</b>, F1 <b>" +
       metric(m.f1()) + "</b>" + (m.loss ? ", loss " + metric(*m.loss) : "") + "</p>\n";
  s += headline(m);
  s += "<h3>Confusion matrix</h3>\n" + heatmap(m);
  s += "<h3>Per class</h3>\n" + per_class(m);
  s += "<h3>Most confident mistakes</h3>\n" + mistakes(split, max_mistakes);
  return s;
}

}  // namespace

std::vector<ChartPoint> bucket_means(const std::vector<ChartPoint>& points, size_t max_points) {
  if (points.size() <= max_points || max_points == 0) return points;
  const size_t size = (points.size() + max_points - 1) / max_points;
  std::vector<ChartPoint> out;
  for (size_t start = 0; start < points.size(); start += size) {
    const size_t end = std::min(points.size(), start + size);
    ChartPoint mean;
    for (size_t i = start; i < end; i++) {
      mean.x += points[i].x;
      mean.y += points[i].y;
    }
    mean.x /= static_cast<double>(end - start);
    mean.y /= static_cast<double>(end - start);
    out.push_back(mean);
  }
  return out;
}

std::vector<ChartPoint> log_series(const json& log, const std::string& key) {
  std::vector<ChartPoint> points;
  for (const json& entry : log)
    if (entry.contains(key) && entry[key].is_number() && entry.contains("step"))
      points.push_back({entry["step"].get<double>(), entry[key].get<double>()});
  return points;
}

std::string render_run_report(const RunReport& r) {
  std::string s = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
                  "<title>" + escape_xml(r.title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  // The result (headline facts, curves, scores) first; the configuration, for reference, last.
  s += "<h1>" + escape_xml(r.title) + "</h1>\n<dl class=\"facts\">\n";
  for (const auto& [key, value] : r.facts) s += "<dt>" + escape_xml(key) + "</dt><dd>" + escape_xml(value) + "</dd>\n";
  s += "</dl>\n<p class=\"note\">Sections: <a href=\"#training\">training</a>, <a href=\"#evaluations\">evaluations</a>";
  for (const ReportSplit& split : r.splits)
    s += ", <a href=\"#" + escape_xml(split.name) + "\">" + escape_xml(split.name) + " set</a>";
  s += ", <a href=\"#configuration\">configuration</a>.</p>\n";
  s += "<h2 id=\"training\">Training</h2>\n" + training_curves(r);
  s += "<h2 id=\"evaluations\">Evaluations during training</h2>\n" + evaluations(r);
  for (const ReportSplit& split : r.splits) s += split_section(split, r.max_mistakes);
  s += "<h2 id=\"configuration\">Configuration</h2>\n<table>\n";
  for (const auto& [key, value] : r.configuration.items())
    s += "<tr>" + cell(key, "text") + cell(json_text(value), "text") + "</tr>\n";
  s += "</table>\n";
  s += "</body>\n</html>\n";
  return s;
}

}  // namespace bertft
