#pragma once
// Synthetic movie reviews with a known sentiment, for training end to end without downloading data.
// Made from templates over the sentiment vocabulary of real reviews (adjectives, verb phrases such as
// "falls flat" / "kept me hooked", verdicts, first-person reactions, "7/10" ratings, lists of
// judgements) in shapes whose label depends on word order, not just on which words occur:
//   negation  "the plot was not boring", "the ending never works", "the jokes weren't funny";
//   contrast  "X, but Y" / "X, yet Y" / "X. Still, Y" take Y's label, "Although X, Y" the main clause's;
//             the conceded clause usually has the other polarity;
//   mixed     a detail of the other polarity before an "Overall, ..." verdict;
// with intensifiers, neutral filler sentences ("I saw it on a Sunday afternoon."), one to several
// sentences, "!" / "..." endings and some all-lowercase reviews. A bag of words cannot tell "good, but
// dull" from "dull, but good", so it stays below 100%; a small transformer can learn the rules. Classes
// are balanced exactly (n/2 each, the odd one positive) and interleaved by a shuffle. Deterministic in
// the seed on every platform (data/rng.h, no std:: distributions).
#include <cstdint>
#include <string>
#include <vector>

namespace bertft {

struct SynthExample {
  std::string text;
  bool positive = false;
};

std::vector<SynthExample> synth_reviews(size_t n, uint64_t seed);

// JSON Lines {"text": "...", "label": "positive"|"negative"}, one line per example.
std::string synth_json_lines(const std::vector<SynthExample>& examples);

}  // namespace bertft
