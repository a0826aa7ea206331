// The sweep's grid: parsing --grid and expanding it into runs (bertft sweep).
#include <gtest/gtest.h>

#include "common/error.h"
#include "evaluation/sweep_grid.h"

namespace bertft {
namespace {

TEST(SweepGrid, ParsesAxesAndExpandsFirstAxisSlowest) {
  const std::vector<GridAxis> axes = parse_grid("  learning-rate=1e-5,2e-5\n--batch-size=8,16,32 ");
  ASSERT_EQ(axes.size(), 2u);
  EXPECT_EQ(axes[0].option, "learning-rate");
  EXPECT_EQ(axes[1].option, "batch-size");  // leading dashes dropped
  EXPECT_EQ(axes[1].values, (std::vector<std::string>{"8", "16", "32"}));
  const std::vector<SweepRun> runs = expand_grid(axes);
  ASSERT_EQ(runs.size(), 6u);
  EXPECT_EQ(runs[0].name, "learning-rate=1e-5,batch-size=8");
  EXPECT_EQ(runs[1].name, "learning-rate=1e-5,batch-size=16");
  EXPECT_EQ(runs[5].name, "learning-rate=2e-5,batch-size=32");
  EXPECT_EQ(runs[3].settings, (std::vector<std::pair<std::string, std::string>>{{"learning-rate", "2e-5"},
                                                                                 {"batch-size", "8"}}));
}

TEST(SweepGrid, RejectsMalformedGrids) {
  for (const char* bad : {"", "   ", "learning-rate", "=1", "lr=", "lr=1,,2", "lr=1,1", "lr=1 lr=2", "lr=a/b",
                          "lr=x=y", "--=1"}) {
    try {
      parse_grid(bad);
      ADD_FAILURE() << "accepted: '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind("--grid: ", 0), 0u) << e.what();
    }
  }
}

}  // namespace
}  // namespace bertft
