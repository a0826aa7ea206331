#include "evaluation/sweep_grid.h"

#include <algorithm>
#include <sstream>

#include "common/error.h"

namespace bertft {

std::vector<GridAxis> parse_grid(const std::string& text) {
  std::vector<GridAxis> axes;
  std::istringstream words(text);
  std::string word;
  while (words >> word) {
    const size_t eq = word.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == word.size())
      throw Error("--grid: '" + word + "': expected OPTION=VALUE,VALUE,... such as learning-rate=1e-5,2e-5");
    GridAxis axis;
    axis.option = word.substr(0, eq);
    while (axis.option.starts_with("-")) axis.option.erase(0, 1);
    if (axis.option.empty() || axis.option.find_first_of("=,") != std::string::npos)
      throw Error("--grid: '" + word + "': bad option name");
    for (const GridAxis& a : axes)
      if (a.option == axis.option) throw Error("--grid: option '" + axis.option + "' given twice");
    std::string values = word.substr(eq + 1);
    size_t pos = 0;
    while (pos <= values.size()) {
      size_t comma = values.find(',', pos);
      if (comma == std::string::npos) comma = values.size();
      const std::string value = values.substr(pos, comma - pos);
      if (value.empty()) throw Error("--grid: '" + word + "': an empty value");
      if (value.find_first_of("/=\\") != std::string::npos)
        throw Error("--grid: '" + word + "': value '" + value + "' cannot be part of a directory name");
      if (std::count(axis.values.begin(), axis.values.end(), value))
        throw Error("--grid: '" + word + "': value '" + value + "' given twice");
      axis.values.push_back(value);
      pos = comma + 1;
    }
    axes.push_back(std::move(axis));
  }
  if (axes.empty()) throw Error("--grid: no options (expected e.g. \"learning-rate=1e-5,2e-5 batch-size=16,32\")");
  return axes;
}

std::vector<SweepRun> expand_grid(const std::vector<GridAxis>& axes) {
  std::vector<SweepRun> runs = {SweepRun{}};
  for (const GridAxis& axis : axes) {
    std::vector<SweepRun> next;
    for (const SweepRun& run : runs)
      for (const std::string& value : axis.values) {
        SweepRun r = run;
        r.name += (r.name.empty() ? "" : ",") + axis.option + "=" + value;
        r.settings.emplace_back(axis.option, value);
        next.push_back(std::move(r));
      }
    runs = std::move(next);
  }
  return runs;
}

}  // namespace bertft
