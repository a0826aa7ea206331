// bertft version: prints the version and the libraries the binary was built against.
#include <dnnl.h>
#include <unicode/uchar.h>
#include <unicode/uversion.h>

#include <nlohmann/json.hpp>
#include <cstdio>

#include "cli/command.h"

namespace {

void setup_version(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("version", "Print the version and library versions as JSON");
  sub->callback([] {
    const dnnl_version_t* dnnl = dnnl_version();
    nlohmann::json out = {
        {"bertft", BERTFT_VERSION},
        {"onednn", std::to_string(dnnl->major) + "." + std::to_string(dnnl->minor) + "." +
                       std::to_string(dnnl->patch)},
        {"icu", U_ICU_VERSION},
        {"unicode", U_UNICODE_VERSION},
    };
    std::printf("%s\n", out.dump().c_str());
  });
}

const bool registered = bertft::register_command("version", setup_version);

}  // namespace
