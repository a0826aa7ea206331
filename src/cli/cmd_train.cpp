// bertft train: fine-tune a classifier (see training/trainer.h).
#include <cstdio>
#include <memory>

#include "cli/command.h"
#include "cli/train_options.h"
#include "distributed/communicator.h"
#include "training/trainer.h"

namespace bertft {
namespace {

void setup_train(CLI::App& app) {
  auto o = std::make_shared<TrainCliOptions>();
  CLI::App* sub = app.add_subcommand("train", "Fine-tune a BertForSequenceClassification model on labeled text");
  add_train_options(sub, *o);
  sub->callback([o] {
    const Communicator& comm = world_communicator();
    const nlohmann::json summary = run_training(o->resolve(), comm);
    if (comm.is_root()) std::printf("%s\n", summary.dump().c_str());
  });
}

const bool registered = register_command("train", setup_train);

}  // namespace
}  // namespace bertft
