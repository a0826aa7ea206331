#pragma once
// Each src/cli/cmd_*.cpp registers one subcommand at static-initialisation time:
//   static const bool registered = bertft::register_command("tokenize", setup_tokenize);
// where setup_tokenize adds the subcommand, its options and its callback to the top-level app.
// main() adds them in name order, so a new command touches no other file.
#include <omp.h>

#include <CLI/CLI.hpp>
#include <functional>
#include <map>
#include <string>

#include "cli/number_option.h"
#include "common/error.h"

namespace bertft {

using CommandSetup = std::function<void(CLI::App& app)>;

inline std::map<std::string, CommandSetup>& command_registry() {
  static std::map<std::string, CommandSetup> registry;
  return registry;
}

// --threads of a command (declared with kThreadsRange, cli/number_option.h): OpenMP's thread count for
// what the command runs.
inline void use_threads(int threads) { omp_set_num_threads(threads); }

inline bool register_command(const std::string& name, CommandSetup setup) {
  command_registry()[name] = std::move(setup);
  return true;
}

}  // namespace bertft
