#include "cli/model_option.h"

#include "common/hub_cache.h"

namespace bertft {

namespace {

constexpr const char* kModelForms =
    ": a directory in Hugging Face's layout, a hub cache folder (models--org--name or one of its snapshots), or a "
    "model id found in the hub cache (org/name; nothing is downloaded)";

// Replaces each value of option `name` with the model directory it names while the command line is parsed.
CLI::Validator model_dir_resolver(const std::string& name) {
  return CLI::Validator(
      [name](std::string& model) {
        try {
          model = resolve_model_dir(model);
        } catch (const Error& e) {
          throw Error(name.substr(0, name.find(',')) + " " + e.what());
        }
        return std::string();
      },
      "DIR|ID");
}

}  // namespace

CLI::Option* add_model_option(CLI::App* sub, std::string& model_dir, const std::string& what,
                              const std::string& name) {
  return sub->add_option(name, model_dir, what + kModelForms)->transform(model_dir_resolver(name));
}

CLI::Option* add_ensemble_model_option(CLI::App* sub, std::vector<std::string>& model_dirs, const std::string& what) {
  return sub
      ->add_option("--model", model_dirs,
                   what + kModelForms +
                       ". Several (--model A --model B, or --model A B): an ensemble, whose probabilities are the "
                       "mean of theirs (weighted by --model-weights); their labels must agree (config.json "
                       "id2label), their families and tokenizers may differ, and each reads texts with the max "
                       "length, truncation and --strip-html its directory records unless the command line sets them for all")
      ->transform(model_dir_resolver("--model"));
}

CLI::Option* add_model_weights_option(CLI::App* sub, std::vector<double>& weights) {
  return sub
      ->add_option("--model-weights", weights,
                   "With several --model: their weights in the ensemble's mean, in --model order (e.g. 0.5,0.3,0.2; "
                   "scaled to sum to 1), each finite and not negative, not all 0. Default: equal weights")
      ->delimiter(',');
}

}  // namespace bertft
