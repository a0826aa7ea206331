#include "evaluation/length_analysis.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/error.h"

namespace bertft {

namespace {

double share(int64_t count, int64_t total) { return total ? static_cast<double>(count) / total : 0.0; }

std::string percent(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100 * fraction);
  return buf;
}

}  // namespace

std::vector<int32_t> token_lengths(const Tokenizer& tokenizer, const Dataset& dataset) {
  const int64_t n = static_cast<int64_t>(dataset.examples.size());
  std::vector<int32_t> lengths(n);
#pragma omp parallel for schedule(dynamic, 64)
  for (int64_t i = 0; i < n; i++) {
    const Example& ex = dataset.examples[i];
    const size_t len = ex.text_pair.empty() ? tokenizer.encode_ids(ex.text).size()
                                            : tokenizer.encode(ex.text, ex.text_pair).ids.size();
    lengths[i] = static_cast<int32_t>(len);
  }
  return lengths;
}

int32_t percentile(const std::vector<int32_t>& sorted, double q) {
  if (sorted.empty()) throw Error("percentile of no values");
  const double n = static_cast<double>(sorted.size());
  // q * n first: exact for integer q, so e.g. p95 of 100 values is the 95th, not the 96th.
  const double rank = std::ceil(q * n / 100.0);
  const size_t index = rank < 1 ? 0 : std::min(sorted.size(), static_cast<size_t>(rank)) - 1;
  return sorted[index];
}

LengthHistogram length_histogram(const std::vector<int32_t>& lengths, size_t max_bins) {
  LengthHistogram h;
  const int32_t longest = lengths.empty() ? 0 : *std::max_element(lengths.begin(), lengths.end());
  auto bin = [&](int32_t len) { return len <= 0 ? 0 : static_cast<size_t>((len - 1) / h.bin_width); };
  while (bin(longest) + 1 > std::max<size_t>(max_bins, 1)) h.bin_width *= 2;
  h.counts.assign(bin(longest) + 1, 0);
  for (int32_t len : lengths) h.counts[bin(len)]++;
  return h;
}

LengthAnalysis analyze_lengths(std::vector<int32_t> lengths, int32_t max_positions) {
  if (lengths.empty()) throw Error("no examples to analyze");
  std::sort(lengths.begin(), lengths.end());
  LengthAnalysis a;
  a.examples = static_cast<int64_t>(lengths.size());
  a.min = lengths.front();
  a.max = lengths.back();
  double sum = 0;
  for (int32_t len : lengths) sum += len;
  a.mean = sum / static_cast<double>(lengths.size());
  a.p50 = percentile(lengths, 50);
  a.p90 = percentile(lengths, 90);
  a.p95 = percentile(lengths, 95);
  a.p99 = percentile(lengths, 99);
  a.histogram = length_histogram(lengths);
  for (size_t i = 0; i < kTruncationCuts.size(); i++)
    a.truncated[i] = lengths.end() - std::upper_bound(lengths.begin(), lengths.end(), kTruncationCuts[i]);
  a.p95_rounded = (a.p95 + 7) / 8 * 8;
  a.max_positions = max_positions;
  a.recommended = max_positions > 0 ? std::min(a.p95_rounded, max_positions) : a.p95_rounded;
  a.capped = a.recommended < a.p95_rounded;
  a.covered = std::upper_bound(lengths.begin(), lengths.end(), a.recommended) - lengths.begin();
  return a;
}

nlohmann::ordered_json LengthAnalysis::to_json() const {
  nlohmann::ordered_json bins = nlohmann::ordered_json::array();
  for (size_t k = 0; k < histogram.counts.size(); k++) {
    const int64_t w = histogram.bin_width;
    bins.push_back({{"from", k == 0 ? 0 : static_cast<int64_t>(k) * w + 1},
                    {"to", static_cast<int64_t>(k + 1) * w},
                    {"examples", histogram.counts[k]}});
  }
  nlohmann::ordered_json tokens = {{"min", min},   {"mean", mean}, {"p50", p50}, {"p90", p90},
                                   {"p95", p95},   {"p99", p99},   {"max", max},
                                   {"histogram", {{"bin_width", histogram.bin_width}, {"bins", bins}}}};
  nlohmann::ordered_json cut = nlohmann::ordered_json::object();
  for (size_t i = 0; i < kTruncationCuts.size(); i++)
    cut[std::to_string(kTruncationCuts[i])] = {{"examples", truncated[i]}, {"share", share(truncated[i], examples)}};
  nlohmann::ordered_json recommendation = {
      {"value", recommended},
      {"covers", share(covered, examples)},
      {"p95_rounded_up", p95_rounded},
      {"max_position_embeddings", max_positions > 0 ? nlohmann::ordered_json(max_positions) : nullptr},
      {"capped", capped}};
  return {{"tokens", tokens}, {"truncated", cut}, {"recommended_max_length", recommendation}};
}

Chart length_chart(const LengthAnalysis& a, const std::string& title) {
  Chart chart;
  chart.title = title;
  chart.x_label = "tokens per example, special tokens included (bins of " +
                  std::to_string(a.histogram.bin_width) + ")";
  chart.y_label = "examples";
  chart.subtitle = std::to_string(a.examples) + " examples, p50 " + std::to_string(a.p50) + ", p95 " +
                   std::to_string(a.p95) + ", max " + std::to_string(a.max) + "; truncated at";
  for (size_t i = 0; i < kTruncationCuts.size(); i++)
    chart.subtitle += std::string(i ? "," : "") + " " + std::to_string(kTruncationCuts[i]) + ": " +
                      percent(share(a.truncated[i], a.examples));
  // Bars up to p99 (and the marked lengths): a long tail would squeeze the bulk to a sliver.
  const int32_t w = a.histogram.bin_width;
  int32_t shown = std::max(a.p99, a.recommended);
  for (int32_t cut : kTruncationCuts)
    if (cut <= a.max) shown = std::max(shown, cut);
  const size_t bins = std::min(a.histogram.counts.size(), static_cast<size_t>((shown + w - 1) / w));
  int64_t hidden = 0;
  for (size_t k = 0; k < a.histogram.counts.size(); k++) {
    if (k < bins)
      chart.bars.push_back({static_cast<double>(k) * w, static_cast<double>(k + 1) * w,
                            static_cast<double>(a.histogram.counts[k])});
    else
      hidden += a.histogram.counts[k];
  }
  if (hidden)
    chart.subtitle += "; " + std::to_string(hidden) + " longer than " + std::to_string(bins * w) + " not drawn";
  for (int32_t cut : kTruncationCuts)
    if (cut <= a.max) chart.markers.push_back({static_cast<double>(cut), std::to_string(cut), "#888", true});
  chart.markers.push_back({static_cast<double>(a.recommended),
                           "recommended " + std::to_string(a.recommended) + (a.capped ? " (capped)" : "") +
                               ": " + percent(share(a.covered, a.examples)),
                           "#d62728", false});
  return chart;
}

}  // namespace bertft
