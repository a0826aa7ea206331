#include "cli/command_line.h"

#include <algorithm>

#include "common/error.h"

namespace bertft {
namespace {

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours.
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); i++) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); j++) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); i++)
    for (size_t j = 1; j <= b.size(); j++) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

// "for 'bertft train'" for a command, nothing for the program itself or an unnamed option table.
std::string where(const CLI::App& command) {
  return command.get_parent() && !command.get_name().empty() ? " for 'bertft " + command.get_name() + "'" : "";
}

std::vector<std::string> long_names(const CLI::App& command) {
  std::vector<std::string> names;
  for (const CLI::Option* option : command.get_options())
    for (const std::string& name : option->get_lnames()) names.push_back("--" + name);
  return names;
}

std::vector<std::string> command_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* command : app.get_subcommands({})) names.push_back(command->get_name());
  return names;
}

CLI::App* find_command(CLI::App& app, const std::string& name) {
  for (CLI::App* command : app.get_subcommands({}))
    if (command->get_name() == name) return command;
  return nullptr;
}

void check_options_known(const CLI::App& command, const std::vector<std::string>& args, size_t first) {
  if (command.get_allow_extras()) return;  // the command checks what it passes on
  for (size_t i = first; i < args.size() && args[i] != "--"; i++)
    if (args[i].starts_with("--")) find_option(command, args[i].substr(0, args[i].find('=')));
}

std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

// CLI11's message for what it refuses, worded as the rest of bertft's errors.
std::string parse_error_message(const CLI::ParseError& e, const CLI::App& app, const CLI::App& command) {
  if (dynamic_cast<const CLI::ExtrasError*>(&e))
    for (const CLI::App* a : {&command, &app})
      if (const std::vector<std::string> left = a->remaining(); !left.empty())
        return "unexpected argument '" + left.front() + "'" + where(*a) +
               (left.front().starts_with("-") ? "" : " (options begin with --)");
  return one_line(e.what());
}

}  // namespace

std::string hyphenated_option(const std::string& arg) {
  if (!arg.starts_with("--")) return arg;
  std::string out = arg;
  std::replace(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(std::min(out.find('='), out.size())), '_', '-');
  return out;
}

std::string nearest_name(const std::string& typed, const std::vector<std::string>& candidates) {
  const size_t allowed = std::max<size_t>(1, typed.size() / 4);
  std::string best;
  size_t best_distance = allowed + 1;
  for (const std::string& candidate : candidates) {
    // The lengths alone rule most out, and keep a huge argument from costing its size times each name.
    const size_t length_gap = typed.size() > candidate.size() ? typed.size() - candidate.size() : candidate.size() - typed.size();
    if (length_gap > allowed) continue;
    if (const size_t d = edit_distance(typed, candidate); d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  return best;
}

const CLI::Option* find_option(const CLI::App& command, const std::string& name) {
  const std::string dashed = hyphenated_option(name);
  if (const CLI::Option* option = command.get_option_no_throw(dashed)) return option;
  const std::string near = nearest_name(dashed, long_names(command));
  throw Error("unknown option " + name + where(command) + (near.empty() ? "" : "; did you mean " + near + "?"));
}

void parse_command_line(CLI::App& app, std::vector<std::string> args) {
  for (std::string& arg : args) {
    if (arg == "--") break;
    arg = hyphenated_option(arg);
  }
  CLI::App* command = &app;
  size_t first_option = 0;
  if (!command_names(app).empty() && !args.empty() && !args.front().starts_with("-")) {
    command = find_command(app, args.front());
    if (!command) {
      const std::string near = nearest_name(args.front(), command_names(app));
      throw Error("unknown command '" + args.front() + "'; " +
                  (near.empty() ? "run 'bertft' for the list of commands" : "did you mean '" + near + "'?"));
    }
    first_option = 1;
  }
  check_options_known(*command, args, first_option);
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last first
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) throw;  // --help, --version
    throw Error(parse_error_message(e, app, *command));
  }
}

}  // namespace bertft
