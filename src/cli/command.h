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
#include "distributed/communicator.h"

namespace bertft {

using CommandSetup = std::function<void(CLI::App& app)>;

inline std::map<std::string, CommandSetup>& command_registry() {
  static std::map<std::string, CommandSetup> registry;
  return registry;
}

// --threads of a command: OpenMP's thread count for what the command runs.
inline void use_threads(int threads) { omp_set_num_threads(threads); }

// Every command's --threads, with one default (default_threads(): the CPUs this process may use, shared
// by the ranks of an unbound machine under mpirun) and one meaning; `threads` should start as
// default_threads().
inline CLI::Option* add_threads_option(CLI::App* sub, int& threads) {
  return add_number_option(sub, "--threads", threads, kThreadsRange,
                           "Threads (default: the CPUs this process may use; under mpirun: per rank, shared by "
                           "the ranks of an unbound machine)");
}

// A switch as Hugging Face's argument parser takes one: `--name` alone is true, and it takes an optional
// value too (`--name false`, `--name=true`; true/false, yes/no, 1/0, on/off), so that --load-best-model-at-end
// can be turned off the way HF users write it.
CLI::Option* add_bool_option(CLI::App* sub, const std::string& names, bool& value, const std::string& help);

// --resume, --resume-from-checkpoint [DIR] (Hugging Face's spelling: alone it is --resume; with a
// directory, that checkpoint instead of the newest in --output) and --force, as train and pretrain take them.
void add_resume_options(CLI::App* sub, bool& resume, std::string& resume_from_checkpoint, bool& force,
                        const std::string& made_with);

inline bool register_command(const std::string& name, CommandSetup setup) {
  command_registry()[name] = std::move(setup);
  return true;
}

}  // namespace bertft
