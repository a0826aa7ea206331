// How a command line is read before CLI11 sees it: HF's underscore spellings, and the suggestion for a
// mistyped name (cli/command_line.h).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/command_line.h"

namespace bertft {
namespace {

TEST(CommandLine, UnderscoresInLongOptionNamesBecomeDashesButValuesStay) {
  EXPECT_EQ(hyphenated_option("--num_train_epochs"), "--num-train-epochs");
  EXPECT_EQ(hyphenated_option("--output_dir=my_run"), "--output-dir=my_run");
  EXPECT_EQ(hyphenated_option("my_file.csv"), "my_file.csv");
  EXPECT_EQ(hyphenated_option("-o_x"), "-o_x");
  EXPECT_EQ(hyphenated_option("--"), "--");
}

TEST(CommandLine, SuggestsOnlyANameWithinOneEditInFourCharacters) {
  const std::vector<std::string> options = {"--num-train-epochs", "--learning-rate", "--seed", "--save-steps",
                                            "--eval-steps"};
  EXPECT_EQ(nearest_name("--num-train-epocs", options), "--num-train-epochs");   // a letter missing
  EXPECT_EQ(nearest_name("--learnign-rate", options), "--learning-rate");        // two letters swapped: one edit
  EXPECT_EQ(nearest_name("--sed", options), "--seed");                           // short: one edit allowed
  EXPECT_EQ(nearest_name("--save-stpes", options), "--save-steps");
  EXPECT_EQ(nearest_name("--eval-step", options), "--eval-steps");
  EXPECT_EQ(nearest_name("--frobnicate", options), "");
  EXPECT_EQ(nearest_name("--s", options), "");                                   // 3 edits from --seed
  EXPECT_EQ(nearest_name("--learning", options), "");                            // 5 edits in 10 characters
  EXPECT_EQ(nearest_name("", options), "");
  EXPECT_EQ(nearest_name("--seed", {}), "");
  EXPECT_EQ(nearest_name("--" + std::string(1 << 22, 'x'), options), "");  // at once: no 4M x 20 table
  // Commands: trian -> train, not tokenize.
  EXPECT_EQ(nearest_name("trian", {"tokenize", "train", "predict"}), "train");
  EXPECT_EQ(nearest_name("serv", {"serve", "sweep"}), "serve");
}

}  // namespace
}  // namespace bertft
