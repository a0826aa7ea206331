// bertft version: prints the version and the libraries the binary was built against (MPI: false
// when built without it).
#include <dnnl.h>
#include <unicode/uchar.h>
#include <unicode/uversion.h>

#include <nlohmann/json.hpp>
#include <cstdio>

#include "cli/command.h"
#include "distributed/communicator.h"

namespace {

void setup_version(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("version", "Print the version and library versions as JSON");
  sub->callback([] {
    const dnnl_version_t* dnnl = dnnl_version();
    const std::string mpi_library = bertft::mpi_library_version();
    nlohmann::json out = {
        {"bertft", BERTFT_VERSION},
        {"onednn", std::to_string(dnnl->major) + "." + std::to_string(dnnl->minor) + "." +
                       std::to_string(dnnl->patch)},
        {"icu", U_ICU_VERSION},
        {"unicode", U_UNICODE_VERSION},
        // false: built without MPI, so no data-parallel training (docs/distributed.md)
        {"mpi", mpi_library.empty() ? nlohmann::json(false) : nlohmann::json(mpi_library)},
    };
    std::printf("%s\n", out.dump().c_str());
  });
}

const bool registered = bertft::register_command("version", setup_version);

}  // namespace
