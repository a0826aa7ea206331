#include "data/synth.h"

#include <nlohmann/json.hpp>

#include "data/rng.h"

namespace bertft {

namespace {

using Words = std::vector<std::string>;

const Words kAspects = {"acting", "plot", "story", "script", "soundtrack", "cinematography", "pacing",
                        "cast", "dialogue", "ending", "direction", "humor", "editing", "lead performance"};
const Words kPositive = {"good", "great", "wonderful", "brilliant", "moving", "funny", "gripping",
                         "clever", "convincing", "beautiful", "charming", "excellent"};
const Words kNegative = {"bad", "dull", "boring", "awful", "terrible", "weak", "tedious",
                         "clumsy", "predictable", "forgettable", "messy", "painful"};
const Words kIntensifiers = {"very", "really", "extremely", "incredibly", "truly", "quite", "rather",
                             "remarkably"};
const Words kVerbs = {"was", "is", "felt", "seemed"};
const Words kNegations = {"not", "never", "hardly"};
const Words kFiller = {"I saw it on a Sunday afternoon.", "My friend recommended it to me.",
                       "It runs a little under two hours.", "The film is set in a small coastal town.",
                       "I watched it with my family.", "It came out a few years ago.",
                       "The theater was half empty.", "I had read the book before.",
                       "It is the director's third feature.", "We rented it on a whim.",
                       "The story follows two brothers.", "Most of it was shot at night."};

std::string capitalize(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

// "the ASPECT VERB [INTENSIFIER] ADJ" or "the ASPECT VERB NEGATION ADJ", with the given polarity.
std::string clause(DataRng& rng, bool positive) {
  const bool negate = rng.chance(35);
  const bool adjective_positive = negate ? !positive : positive;
  std::string out = "the " + rng.pick(kAspects) + " " + rng.pick(kVerbs) + " ";
  if (negate) {
    out += rng.pick(kNegations) + " ";
  } else if (rng.chance(40)) {
    out += rng.pick(kIntensifiers) + " ";
  }
  out += rng.pick(adjective_positive ? kPositive : kNegative);
  return out;
}

std::string review(DataRng& rng, bool positive) {
  std::string text;
  if (rng.chance(40)) text += rng.pick(kFiller) + " ";
  if (rng.chance(45)) {
    // Contrast: the clause after "but" decides; the one before mostly disagrees with it.
    const bool first = rng.chance(80) ? !positive : positive;
    text += capitalize(clause(rng, first)) + ", but " + clause(rng, positive) + ".";
  } else {
    text += capitalize(clause(rng, positive)) + ".";
  }
  if (rng.chance(40)) text += " " + rng.pick(kFiller);
  return text;
}

}  // namespace

std::vector<SynthExample> synth_reviews(size_t n, uint64_t seed) {
  DataRng rng(seed);
  std::vector<char> labels(n);
  for (size_t i = 0; i < n; i++) labels[i] = i < (n + 1) / 2;
  rng.shuffle(labels);
  std::vector<SynthExample> out(n);
  for (size_t i = 0; i < n; i++) {
    out[i].positive = labels[i];
    out[i].text = review(rng, out[i].positive);
  }
  return out;
}

std::string synth_json_lines(const std::vector<SynthExample>& examples) {
  std::string out;
  for (const SynthExample& ex : examples) {
    nlohmann::ordered_json line = {{"text", ex.text}, {"label", ex.positive ? "positive" : "negative"}};
    out += line.dump();
    out += '\n';
  }
  return out;
}

}  // namespace bertft
