#pragma once
// Synthetic movie reviews with a known sentiment, for smoke-testing training end to end without
// downloading data. Built from templates so that the label depends on word order, not just on which
// words occur:
//   negation     "the plot was not boring" (positive), "the acting was never convincing" (negative);
//   contrast     "the acting was great, but the plot was dull" takes the label of the clause after
//                "but"; the clause before it usually has the opposite polarity;
//   intensifiers "really", "extremely", ... and neutral filler sentences ("I saw it on a Sunday.")
//                that carry no signal.
// A bag of words cannot tell "good, but dull" from "dull, but good", nor "not good" from "good ... not
// bad", so it stays well below 100%; a small transformer can learn the rules. Classes are balanced
// exactly (n/2 each, the odd one positive) and interleaved by a shuffle. Deterministic in the seed
// on every platform (data/rng.h, no std:: distributions).
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
