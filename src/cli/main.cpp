// bertft <command> [options]: the one binary over the bertft library.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>

#include "cli/command.h"
#include "cli/command_line.h"
#include "common/error.h"
#include "distributed/communicator.h"

namespace {

// A command's description up to its details (after ": " or a JSON example), and if still long, up to its
// first parenthesis or semicolon: one short line for the list of commands.
std::string summary(const std::string& description) {
  const auto cut = [](const std::string& text, std::initializer_list<const char*> marks) {
    size_t end = text.size();
    for (const char* mark : marks) end = std::min(end, text.find(mark));
    return text.substr(0, end);
  };
  const std::string first = cut(description, {": ", " {", ", {"});
  return first.size() > 70 ? cut(first, {" (", "; "}) : first;
}

// What `bertft` alone prints: one line per command, as git and fastText do.
void print_commands(const CLI::App& app) {
  std::printf("%s\n\nUsage: bertft <command> [options]\n\nCommands:\n", app.get_description().c_str());
  size_t width = 0;
  // Not the test hooks --help hides (group "").
  const auto commands = app.get_subcommands([](const CLI::App* command) { return !command->get_group().empty(); });
  for (const CLI::App* command : commands) width = std::max(width, command->get_name().size());
  for (const CLI::App* command : commands)
    std::printf("  %-*s  %s\n", static_cast<int>(width), command->get_name().c_str(), summary(command->get_description()).c_str());
  std::printf("\nRun 'bertft <command> --help' for a command's options and defaults.\n");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bertft " BERTFT_VERSION ": fine-tune, evaluate, pretrain and serve BERT text classifiers on a CPU."};
  app.footer("Run 'bertft <command> --help' for a command's options and defaults.");
  app.set_version_flag("--version", BERTFT_VERSION);
  app.require_subcommand(1);
  app.option_defaults()->always_capture_default();
  for (auto& [name, setup] : bertft::command_registry()) setup(app);
  if (argc <= 1) {
    print_commands(app);
    return 0;
  }
  try {
    bertft::parse_command_line(app, std::vector<std::string>(argv + 1, argv + argc));
  } catch (const CLI::ParseError& e) {
    return app.exit(e);  // --help, --version
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
