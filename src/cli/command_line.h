#pragma once
// How every command line is read (main, `sweep`'s runs, and anything else that parses train's options):
// Hugging Face's underscore spellings are the same option (--num_train_epochs is --num-train-epochs), an
// unknown command or option is reported before anything else with the nearest real name as a suggestion,
// and every mistake is one bertft::Error line.
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace bertft {

// "--num_train_epochs=2" -> "--num-train-epochs=2": the name of a long option with '-' for '_' (its value
// as given); any other argument as it is.
std::string hyphenated_option(const std::string& arg);

// The candidate nearest to `typed` by edit distance (adjacent transpositions count once), if it is near
// enough to be a typing slip (at most 1 edit in 4 characters, and at least 1 allowed); else "".
std::string nearest_name(const std::string& typed, const std::vector<std::string>& candidates);

// The option of `command` that `name` ("--learning_rate", "--num-train-epochs") names; throws
// Error("unknown option NAME...; did you mean --NEAREST?") if there is none.
const CLI::Option* find_option(const CLI::App& command, const std::string& name);

// Parses `args` (without the program name) with `app`. Before CLI11 sees them, long options are
// hyphenated and every option is checked against the command's own (suggesting the nearest), and a first
// argument that is not a command of `app` (when it has commands) is reported likewise. CLI11's own
// errors (a missing value, a required option) become one-line Errors; --help and --version pass through
// as the CLI::ParseError CLI11 throws for them (exit code 0).
void parse_command_line(CLI::App& app, std::vector<std::string> args);

}  // namespace bertft
