#include "data/synth.h"

#include <nlohmann/json.hpp>

#include "data/rng.h"

namespace bertft {

namespace {

using Words = std::vector<std::string>;

// Sentiment words and phrases of the kind real reviews use, one pool per polarity.
const Words kPositiveAdjectives = {
    "good", "great", "wonderful", "brilliant", "moving", "funny", "gripping", "clever", "convincing",
    "beautiful", "charming", "excellent", "superb", "amazing", "fantastic", "terrific", "outstanding",
    "delightful", "touching", "powerful", "stunning", "impressive", "fresh", "solid", "perfect", "hilarious",
    "memorable", "engaging", "smart", "witty", "believable", "compelling", "heartfelt", "breathtaking",
    "flawless", "enjoyable", "entertaining", "lovely", "inspired", "magnificent", "thrilling", "sharp",
    "exciting", "fun", "haunting", "gorgeous", "strong", "riveting", "refreshing", "satisfying"};
const Words kNegativeAdjectives = {
    "bad", "dull", "boring", "awful", "terrible", "weak", "tedious", "clumsy", "predictable", "forgettable",
    "messy", "painful", "horrible", "poor", "stupid", "lame", "pointless", "ridiculous", "annoying",
    "disappointing", "bland", "flat", "wooden", "lifeless", "silly", "confusing", "unfunny", "cheap",
    "shallow", "laughable", "mediocre", "slow", "uninspired", "pretentious", "unbearable", "sloppy",
    "incoherent", "dreadful", "atrocious", "embarrassing", "stale", "lazy", "amateurish", "hollow",
    "tiresome", "overlong", "dire", "forced", "generic", "irritating"};
const Words kIntensifiers = {"very", "really", "extremely", "incredibly", "truly", "quite", "rather",
                             "remarkably", "so", "simply", "absolutely", "genuinely", "utterly", "pretty"};
// Things a review talks about; singular ones take "is"/"was" and verb phrases, plural ones "are"/"were".
const Words kAspects = {"acting", "plot", "story", "script", "soundtrack", "cinematography", "pacing", "cast",
                        "dialogue", "ending", "direction", "humor", "editing", "lead performance", "music",
                        "screenplay", "premise", "final act", "first half", "second half", "twist", "climax",
                        "villain", "camera work", "writing", "score", "romance", "opening", "finale", "film",
                        "movie", "whole thing", "production design", "central performance", "lead actress"};
const Words kPluralAspects = {"actors", "characters", "performances", "jokes", "special effects", "visuals",
                              "action scenes", "songs", "fight scenes", "supporting actors", "effects",
                              "costumes", "sets", "battle scenes", "twists"};
const Words kFilm = {"film", "movie", "picture", "comedy", "thriller", "drama", "story", "sequel", "debut",
                     "adaptation", "horror film", "western", "romance"};
const Words kFilms = {"films", "movies", "comedies", "thrillers", "dramas", "sequels", "debuts", "adaptations",
                      "horror films", "westerns"};

// Verb phrases as {base, third person present, past}.
struct Verb {
  std::string base, present, past;
};
const std::vector<Verb> kPositiveVerbs = {
    {"work", "works", "worked"}, {"shine", "shines", "shone"}, {"come alive", "comes alive", "came alive"},
    {"hold up", "holds up", "held up"}, {"deliver", "delivers", "delivered"},
    {"keep me hooked", "keeps me hooked", "kept me hooked"}, {"keep me guessing", "keeps me guessing", "kept me guessing"},
    {"win me over", "wins me over", "won me over"}, {"hold my attention", "holds my attention", "held my attention"},
    {"pull me in", "pulls me in", "pulled me in"}, {"stay with me", "stays with me", "stayed with me"},
    {"make me laugh", "makes me laugh", "made me laugh"}, {"move me", "moves me", "moved me"},
    {"grab me", "grabs me", "grabbed me"}, {"pay off", "pays off", "paid off"}, {"soar", "soars", "soared"},
    {"click", "clicks", "clicked"}, {"land", "lands", "landed"}};
const std::vector<Verb> kNegativeVerbs = {
    {"drag", "drags", "dragged"}, {"fall flat", "falls flat", "fell flat"}, {"fall apart", "falls apart", "fell apart"},
    {"go nowhere", "goes nowhere", "went nowhere"}, {"miss the mark", "misses the mark", "missed the mark"},
    {"wear thin", "wears thin", "wore thin"}, {"bore me", "bores me", "bored me"}, {"lose me", "loses me", "lost me"},
    {"fizzle out", "fizzles out", "fizzled out"}, {"drag on", "drags on", "dragged on"},
    {"annoy me", "annoys me", "annoyed me"}, {"put me to sleep", "puts me to sleep", "put me to sleep"},
    {"feel rushed", "feels rushed", "felt rushed"}, {"feel forced", "feels forced", "felt forced"},
    {"fall short", "falls short", "fell short"}, {"make no sense", "makes no sense", "made no sense"},
    {"overstay its welcome", "overstays its welcome", "overstayed its welcome"}, {"sag", "sags", "sagged"}};
const Words kVerbTails = {"from start to finish", "from the first scene", "all the way through", "in the end",
                          "by the last act", "for most of its running time", "after the first hour",
                          "right to the end", "at every turn", "in the middle"};

// Whole sentences with a polarity, and neutral ones that carry no signal.
const Words kPositiveReactions = {
    "I loved it", "I loved every second", "I enjoyed it a lot", "I was hooked", "I laughed out loud",
    "I was moved to tears", "I would happily watch it again", "I was on the edge of my seat",
    "I cannot wait to see it again", "I smiled all the way through", "I was glued to the screen",
    "it was worth every penny", "it is a joy to watch", "it left me speechless", "I was never bored",
    "I never once looked at my watch", "I recommend it to everyone", "go and see it", "do not miss it",
    "my whole family loved it", "it made my day", "it deserves every award it got", "I was blown away"};
const Words kNegativeReactions = {
    "I hated it", "I was bored stiff", "I nearly fell asleep", "I kept checking my watch", "I wanted to leave",
    "I regret watching it", "I felt cheated", "I could not finish it", "I was so disappointed",
    "it was a waste of time", "it is a chore to sit through", "I want those two hours back", "avoid it",
    "save your money", "skip this one", "I did not enjoy it", "I did not like it at all",
    "I turned it off after an hour", "nobody in the theater laughed", "what a letdown", "it put me to sleep",
    "I would not recommend it to anyone", "my friends hated it too"};
const Words kPositiveNouns = {"a masterpiece", "a gem", "a classic", "a triumph", "a treat", "a delight",
                              "a must-see", "a real winner", "an instant favorite", "a joy from start to finish"};
const Words kNegativeNouns = {"a mess", "a disaster", "a waste of talent", "a letdown", "a bore", "a dud",
                              "a failure", "a snooze", "a train wreck", "a chore from start to finish"};
const Words kFiller = {
    "I saw it on a Sunday afternoon.", "My friend recommended it to me.", "It runs a little under two hours.",
    "The film is set in a small coastal town.", "I watched it with my family.", "It came out a few years ago.",
    "The theater was half empty.", "I had read the book before.", "It is the director's third feature.",
    "We rented it on a whim.", "The story follows two brothers.", "Most of it was shot at night.",
    "It is based on a true story.", "The plot follows a young doctor who moves to the city.",
    "I went in knowing nothing about it.", "It was on television last night.", "The lead is played by a newcomer.",
    "It is a remake of an old French film.", "We watched it after dinner.", "The first scene takes place in 1970.",
    "I bought the DVD at a market.", "The running time is about ninety minutes.",
    "It tells the story of a family during the war.", "My wife picked this one.", "I saw it at a festival.",
    "The cast includes a few familiar faces.", "It was filmed in Canada.", "This is the second film in the series."};
const Words kOverall = {"Overall", "All in all", "In the end", "On the whole", "Still", "That said",
                        "All things considered", "Even so"};

// "a ..." or "an ...".
std::string with_article(const std::string& phrase) {
  return (phrase.find_first_of("aeiou") == 0 ? "an " : "a ") + phrase;
}

std::string capitalize(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  std::string review(bool positive) {
    std::vector<std::string> sentences;
    if (rng_.chance(35)) sentences.push_back(rng_.pick(kFiller));
    if (rng_.chance(25)) sentences.push_back(end(verdict(positive)));
    const int body = 1 + static_cast<int>(rng_.below(rng_.chance(30) ? 3 : 2));
    for (int i = 0; i < body; i++) {
      sentences.push_back(end(body_sentence(positive)));
      if (rng_.chance(15)) sentences.push_back(rng_.pick(kFiller));
    }
    if (rng_.chance(15)) {
      // A detail of the other polarity, then the verdict that outweighs it.
      sentences.push_back(end(statement(!positive)));
      sentences.push_back(end(rng_.pick(kOverall) + ", " + (rng_.chance(50) ? verdict(positive) : statement(positive))));
    } else if (rng_.chance(35)) {
      sentences.push_back(end(rng_.chance(30) ? rating(positive) : rng_.chance(50) ? reaction(positive) : verdict(positive)));
    }
    std::string text;
    for (const std::string& s : sentences) text += (text.empty() ? "" : " ") + s;
    if (rng_.chance(4))
      for (char& c : text) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return text;
  }

 private:
  const std::string& adjective(bool positive) { return rng_.pick(positive ? kPositiveAdjectives : kNegativeAdjectives); }

  // "very " or "" before an adjective.
  std::string intensified(bool positive) {
    return (rng_.chance(30) ? rng_.pick(kIntensifiers) + " " : "") + adjective(positive);
  }

  // "the ASPECT was [not] ADJ", "the ASPECT never VERBS", "it was ADJ", ...: a clause with the given polarity,
  // negated a third of the time (with the adjective or verb of the other polarity).
  std::string statement(bool positive) {
    const bool negate = rng_.chance(30);
    const bool word_positive = negate ? !positive : positive;
    const bool plural = rng_.chance(20);
    const std::string subject =
        plural ? "the " + rng_.pick(kPluralAspects) : rng_.chance(15) ? "it" : (rng_.chance(15) ? "this " : "the ") + rng_.pick(kAspects);
    if (!plural && rng_.chance(40)) {
      const Verb& v = rng_.pick(word_positive ? kPositiveVerbs : kNegativeVerbs);
      const bool past = rng_.chance(50);
      std::string out = subject + " ";
      if (!negate) out += past ? v.past : v.present;
      else if (rng_.chance(50)) out += "never " + (past ? v.past : v.present);
      else out += (past ? (rng_.chance(50) ? "did not " : "didn't ") : (rng_.chance(50) ? "does not " : "doesn't ")) + v.base;
      if (rng_.chance(20)) out += " " + rng_.pick(kVerbTails);
      return out;
    }
    const bool past = rng_.chance(55);
    const std::string be = plural ? (past ? "were" : "are") : (past ? "was" : "is");
    std::string out = subject + " ";
    if (negate) {
      switch (rng_.below(4)) {
        case 0: out += be + " not "; break;
        case 1: out += be + "n't "; break;
        case 2: out += be + " never "; break;
        default: out += be + " hardly "; break;
      }
      out += adjective(word_positive);
    } else {
      const Words linking = {"felt", "seemed", "looked", be, be, be};
      out += rng_.pick(linking) + " " + intensified(positive);
    }
    return out;
  }

  // A phrase judging the whole film.
  std::string verdict(bool positive) {
    switch (rng_.below(8)) {
      case 0: return "what a " + intensified(positive) + " " + rng_.pick(kFilm);
      case 1: return with_article(intensified(positive) + " " + rng_.pick(kFilm));
      case 2: return "this is " + rng_.pick(positive ? kPositiveNouns : kNegativeNouns);
      case 3: return std::string("one of the ") + (positive ? "best" : "worst") + " " + rng_.pick(kFilms) + " of " +
                     rng_.pick(Words{"the year", "the decade", "all time", "its kind", "the summer"});
      case 4: return std::string("not ") + adjective(!positive) + (rng_.chance(50) ? " at all" : "");
      case 5: return "simply " + adjective(positive);
      case 6: return std::string("it is ") + (positive ? "" : "not ") + "worth " +
                     rng_.pick(Words{"watching", "seeing", "your time", "the ticket", "a look"});
      default: return "it was " + intensified(positive);
    }
  }

  std::string reaction(bool positive) { return rng_.pick(positive ? kPositiveReactions : kNegativeReactions); }

  std::string rating(bool positive) {
    const int score = positive ? 7 + static_cast<int>(rng_.below(4)) : 1 + static_cast<int>(rng_.below(4));
    const std::string r = std::to_string(score) + (rng_.chance(50) ? "/10" : " out of 10");
    return rng_.chance(50) ? "I give it " + r : "my rating: " + r;
  }

  // "ADJ ASPECT, ADJ ASPECT and ADJ ASPECT" or "ADJ, ADJ and ADJ".
  std::string list(bool positive) {
    const bool nouns = rng_.chance(50);
    const int n = 2 + static_cast<int>(rng_.below(2));
    std::string out;
    for (int i = 0; i < n; i++) {
      out += i == 0 ? "" : i == n - 1 ? " and " : ", ";
      out += adjective(positive);
      if (nouns) out += " " + rng_.pick(i % 2 ? kPluralAspects : kAspects);
    }
    return out;
  }

  // One sentence of the review body (without its final punctuation), with the given polarity. The
  // contrast shapes make the label depend on word order: the clause after "but" / the main clause wins.
  std::string body_sentence(bool positive) {
    const unsigned shape = static_cast<unsigned>(rng_.below(100));
    if (shape < 30) {
      const bool first = rng_.chance(80) ? !positive : positive;
      const Words joins = {", but ", ", but ", ", but ", ", yet ", "; however, ", ". But ", ". Still, "};
      return statement_or_verdict(first) + rng_.pick(joins) + statement(positive);
    }
    if (shape < 40)
      return rng_.pick(Words{"although ", "even though ", "while "}) + statement(!positive) + ", " + statement(positive);
    if (shape < 46) return statement(positive) + rng_.pick(Words{", although ", ", even if "}) + statement(!positive);
    if (shape < 56) return statement(positive) + rng_.pick(Words{" and ", ", and ", "; "}) + statement(positive);
    if (shape < 64) return verdict(positive) + ": " + statement(positive) + (rng_.chance(50) ? " and " + statement(positive) : "");
    if (shape < 72) return list(positive);
    if (shape < 80) return reaction(positive);
    return statement(positive);
  }

  std::string statement_or_verdict(bool positive) { return rng_.chance(75) ? statement(positive) : verdict(positive); }

  // Capitalized, with a period (sometimes "!" or "...").
  std::string end(const std::string& sentence) {
    const unsigned mark = static_cast<unsigned>(rng_.below(100));
    return capitalize(sentence) + (mark < 10 ? "!" : mark < 13 ? "..." : ".");
  }

  DataRng rng_;
};

}  // namespace

std::vector<SynthExample> synth_reviews(size_t n, uint64_t seed) {
  DataRng rng(seed);
  std::vector<char> labels(n);
  for (size_t i = 0; i < n; i++) labels[i] = i < (n + 1) / 2;
  rng.shuffle(labels);
  Generator generator(rng.next());
  std::vector<SynthExample> out(n);
  for (size_t i = 0; i < n; i++) {
    out[i].positive = labels[i];
    out[i].text = generator.review(out[i].positive);
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
