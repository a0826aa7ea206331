#pragma once
// `bertft sweep`: a hyperparameter grid over `bertft train` options. Every combination is one train
// run in its own directory; a finished run (its metrics.json exists) is skipped when the sweep runs
// again, and an interrupted one resumes from its newest checkpoint.
#include <string>
#include <utility>
#include <vector>

namespace bertft {

// One swept train option ("learning-rate", without the dashes; as written in --grid, which `bertft sweep`
// then replaces by train's first name for it: num_train_epochs -> epochs) and its values as given.
struct GridAxis {
  std::string option;
  std::vector<std::string> values;
};

// "learning-rate=1e-5,2e-5 batch-size=8,16": axes separated by whitespace, values by commas. Throws
// Error("--grid: ...") on a malformed axis, an empty value, an option or a value given twice, or a
// value with characters unfit for a directory name (/, \ or =).
std::vector<GridAxis> parse_grid(const std::string& text);

struct SweepRun {
  std::string name;  // "learning-rate=1e-5,batch-size=8": the directory name
  std::vector<std::pair<std::string, std::string>> settings;  // (option, value) in axis order
};

// Every combination, the first axis varying slowest.
std::vector<SweepRun> expand_grid(const std::vector<GridAxis>& axes);

}  // namespace bertft
