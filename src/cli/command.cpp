#include "cli/command.h"

#include <cctype>

namespace bertft {

CLI::Option* add_bool_option(CLI::App* sub, const std::string& names, bool& value, const std::string& help) {
  CLI::Option* option = sub->add_option_function<std::string>(names, [&value, names](const std::string& text) {
    std::string t = text;
    for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (t.empty() || t == "true" || t == "yes" || t == "1" || t == "on") {
      value = true;
    } else if (t == "false" || t == "no" || t == "0" || t == "off") {
      value = false;
    } else {
      throw Error(names.substr(0, names.find(',')) + " takes true or false (or nothing: true), got '" + text + "'");
    }
  }, value ? help + " (default: true)" : help);
  // No default_str: CLI11 would take it as the value of a bare --name.
  return option->expected(0, 1)->type_name("[BOOL]");
}

void add_resume_options(CLI::App* sub, bool& resume, std::string& resume_from_checkpoint, bool& force,
                        const std::string& made_with) {
  add_bool_option(sub, "--resume", resume, "Continue from the newest checkpoint in --output");
  sub->add_option_function<std::string>(
         "--resume-from-checkpoint",
         [&resume, &resume_from_checkpoint](const std::string& dir) {
           resume = true;
           resume_from_checkpoint = dir;
         },
         "As HF: continue from this checkpoint directory, or alone, as --resume, from the newest in --output")
      ->expected(0, 1)
      ->type_name("[DIR]");
  add_bool_option(sub, "--force", force, "With --resume: continue a checkpoint made with other " + made_with);
}

}  // namespace bertft
