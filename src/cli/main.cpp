// bertft <command> [options]: the one binary over the bertft library.
#include <cstdio>
#include <exception>

#include "cli/command.h"
#include "common/error.h"
#include "distributed/communicator.h"

int main(int argc, char** argv) {
  CLI::App app{"bertft " BERTFT_VERSION
               ": fine-tune, evaluate, pretrain and serve BERT text classifiers on a CPU.\n"
               "Run 'bertft <command> --help' for a command's options and defaults."};
  app.set_version_flag("--version", BERTFT_VERSION);
  app.require_subcommand(1);
  app.option_defaults()->always_capture_default();
  for (auto& [name, setup] : bertft::command_registry()) setup(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);  // --help, --version
    // A command line it cannot take is bad input like any other: one line, status 1.
    std::fprintf(stderr, "bertft: error: %s\n", e.what());
    return 1;
  } catch (const bertft::CollectiveError& e) {
    if (e.report_here) std::fprintf(stderr, "bertft: error: %s\n", e.what());
    return 1;
  } catch (const bertft::Error& e) {
    std::fprintf(stderr, "bertft: error: %s\n", e.what());
    bertft::abort_run_if_distributed(1);  // the other ranks may be waiting for this one
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bertft: internal error: %s\n", e.what());
    bertft::abort_run_if_distributed(2);
    return 2;
  }
  return 0;
}
