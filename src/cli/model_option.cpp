#include "cli/model_option.h"

#include "common/hub_cache.h"

namespace bertft {

CLI::Option* add_model_option(CLI::App* sub, std::string& model_dir, const std::string& what,
                              const std::string& name) {
  const CLI::Validator resolve(
      [name](std::string& model) {
        try {
          model = resolve_model_dir(model);
        } catch (const Error& e) {
          throw Error(name.substr(0, name.find(',')) + " " + e.what());
        }
        return std::string();
      },
      "DIR|ID");
  return sub
      ->add_option(name, model_dir,
                   what + ": a directory in Hugging Face's layout, a hub cache folder (models--org--name or one of "
                          "its snapshots), or a model id found in the hub cache (org/name; nothing is downloaded)")
      ->transform(resolve);
}

}  // namespace bertft
