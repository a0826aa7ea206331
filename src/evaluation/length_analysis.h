#pragma once
// The token-length distribution of a dataset as a model sees it before truncation, and the max
// length it suggests: what `bertft analyze` reports.
//
// Definitions:
//   length      tokens of [CLS] A [SEP] (or [CLS] A [SEP] B [SEP] for a text pair), untruncated.
//   percentile  nearest rank: p_q is the smallest length with at least q% of the examples at or
//               below it, sorted[ceil(q/100 * n) - 1] (the minimum for q = 0); numpy's
//               percentile(x, q, method="inverted_cdf"). Always a length some example has.
//   histogram   bins of equal width w, bin k holding lengths in (k*w, (k+1)*w] (bin 0 also holds 0),
//               from bin 0 to the bin of the longest example. w is the smallest of 8, 16, 32, 64, ...
//               giving at most 128 bins, so the cuts 128 / 256 / 512 fall on bin edges while w <= 128.
//   truncated   examples longer than each cut in kTruncationCuts (they lose tokens at that max length).
//   recommended p95 rounded up to a multiple of 8, capped at the model's max_position_embeddings.
#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/svg_chart.h"
#include "data/dataset.h"
#include "tokenizer/tokenizer.h"

namespace bertft {

// The max lengths people train BERT with; also the length buckets of eval's error analysis.
inline constexpr std::array<int32_t, 3> kTruncationCuts = {128, 256, 512};

// Untruncated length of every example, in dataset order; tokenizes in parallel (OpenMP).
std::vector<int32_t> token_lengths(const Tokenizer& tokenizer, const Dataset& dataset);

// Nearest-rank percentile (above) of ascending `sorted`, q in [0, 100]; sorted must not be empty.
int32_t percentile(const std::vector<int32_t>& sorted, double q);

struct LengthHistogram {
  int32_t bin_width = 8;
  std::vector<int64_t> counts;  // counts[k]: lengths in (k*w, (k+1)*w]
};

// max_bins bounds the bin count by doubling the width from 8.
LengthHistogram length_histogram(const std::vector<int32_t>& lengths, size_t max_bins = 128);

struct LengthAnalysis {
  int64_t examples = 0;
  int32_t min = 0, max = 0, p50 = 0, p90 = 0, p95 = 0, p99 = 0;
  double mean = 0;
  LengthHistogram histogram;
  std::array<int64_t, kTruncationCuts.size()> truncated{};  // longer than kTruncationCuts[i]
  int32_t p95_rounded = 0;   // p95 rounded up to a multiple of 8
  int32_t recommended = 0;   // p95_rounded, capped at max_positions
  bool capped = false;       // recommended < p95_rounded
  int32_t max_positions = 0; // the cap; 0 = none known
  int64_t covered = 0;       // examples no longer than recommended

  // {"min", "mean", "p50", "p90", "p95", "p99", "max", "histogram", "truncated", "recommended_max_length"}
  nlohmann::ordered_json to_json() const;
};

// lengths must not be empty. max_positions 0 means no cap.
LengthAnalysis analyze_lengths(std::vector<int32_t> lengths, int32_t max_positions);

// The histogram up to p99 (further if a marked length is further; the subtitle counts the examples
// left out), the truncation cuts up to the longest example dashed, the recommended length solid;
// the subtitle gives the truncated shares of every cut.
Chart length_chart(const LengthAnalysis& analysis, const std::string& title);

}  // namespace bertft
