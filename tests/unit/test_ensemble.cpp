// Ensembles (inference/ensemble.h): the weights checked and scaled, the members' probabilities averaged
// in log space, the labels compared between model directories, and an ensemble's evaluation
// (evaluation/evaluate.h) averaged from its members'.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.h"
#include "evaluation/evaluate.h"
#include "inference/ensemble.h"
#include "temp_files.h"
#include "test_util.h"

namespace bertft {
namespace {

std::vector<double> softmax(const std::vector<float>& logits) {
  double max = -1e300, sum = 0;
  for (float v : logits) max = std::max(max, static_cast<double>(v));
  std::vector<double> p;
  for (float v : logits) sum += std::exp(v - max);
  for (float v : logits) p.push_back(std::exp(v - max) / sum);
  return p;
}

TEST(Ensemble, WeightsAreScaledToSumToOne) {
  EXPECT_EQ(ensemble_weights({}, 4), (std::vector<double>{0.25, 0.25, 0.25, 0.25}));
  const std::vector<double> given = {2, 1, 1};
  const std::vector<double> weights = ensemble_weights(given, 3);
  ASSERT_EQ(weights.size(), 3u);
  EXPECT_DOUBLE_EQ(weights[0], 0.5);
  EXPECT_DOUBLE_EQ(weights[1], 0.25);
  EXPECT_DOUBLE_EQ(weights[2], 0.25);
  // A zero weight is allowed while another is positive; weights near the largest double do not overflow.
  const std::vector<double> zero_and_one = {0, 3};
  EXPECT_EQ(ensemble_weights(zero_and_one, 2), (std::vector<double>{0, 1}));
  const std::vector<double> huge = {1e308, 1e308};
  EXPECT_EQ(ensemble_weights(huge, 2), (std::vector<double>{0.5, 0.5}));
}

TEST(Ensemble, BadWeightsAreOneLineErrorsNamingTheOption) {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  const std::vector<double> three = {1, 1, 1}, negative = {1, -0.5}, not_a_number = {nan, 1}, infinite = {inf, 1},
                            zeros = {0, 0};
  EXPECT_EQ(test::thrown_error([&] { ensemble_weights(three, 2); }),
            "--model-weights gives 3 weights for 2 models: one per --model, in the same order");
  EXPECT_EQ(test::thrown_error([&] { ensemble_weights(negative, 2); }),
            "--model-weights must be finite and not negative, got -0.5");
  EXPECT_EQ(test::thrown_error([&] { ensemble_weights(not_a_number, 2); }),
            "--model-weights must be finite and not negative, got nan");
  EXPECT_EQ(test::thrown_error([&] { ensemble_weights(infinite, 2); }),
            "--model-weights must be finite and not negative, got inf");
  EXPECT_EQ(test::thrown_error([&] { ensemble_weights(zeros, 2); }),
            "--model-weights are all 0: give at least one model a positive weight");
  EXPECT_EQ(test::thrown_error([&] { ensemble_weights({}, 0); }), "--model: no model given");
}

TEST(Ensemble, ProbabilitiesAreTheWeightedMeanAndLogitsTheirLog) {
  const std::vector<float> a = {2.0f, -1.0f, 0.5f}, b = {-3.0f, 4.0f, 0.0f}, c = {0.1f, 0.2f, 0.3f};
  const std::vector<const float*> members = {a.data(), b.data(), c.data()};
  const std::vector<double> weights = {0.5, 0.3, 0.2};
  float probs[3], logits[3];
  average_members(members, weights, 3, probs, logits);
  const std::vector<double> pa = softmax(a), pb = softmax(b), pc = softmax(c);
  double sum = 0;
  for (int k = 0; k < 3; k++) {
    const double expected = 0.5 * pa[k] + 0.3 * pb[k] + 0.2 * pc[k];
    EXPECT_NEAR(probs[k], expected, 1e-7) << k;
    EXPECT_NEAR(logits[k], std::log(expected), 1e-6) << k;
    sum += probs[k];
  }
  EXPECT_NEAR(sum, 1.0, 1e-6);
  const std::vector<double> from_logits = softmax({logits[0], logits[1], logits[2]});
  for (int k = 0; k < 3; k++) EXPECT_NEAR(from_logits[k], probs[k], 1e-7) << k;
}

TEST(Ensemble, OneModelKeepsItsOwnLogits) {
  const std::vector<float> a = {2.0f, -1.0f};
  const std::vector<const float*> members = {a.data()};
  const std::vector<double> weights = {1};
  float probs[2], logits[2];
  average_members(members, weights, 2, probs, logits);
  EXPECT_EQ(logits[0], 2.0f);
  EXPECT_EQ(logits[1], -1.0f);
  EXPECT_NEAR(probs[0], softmax(a)[0], 1e-7);
}

// A class both models all but rule out (probabilities far below float's smallest) keeps a finite logit,
// and a model of weight 0 does not count.
TEST(Ensemble, AveragedInLogSpace) {
  const std::vector<float> a = {0.0f, -300.0f}, b = {0.0f, -200.0f}, ignored = {-500.0f, 500.0f};
  const std::vector<const float*> members = {a.data(), b.data(), ignored.data()};
  const std::vector<double> weights = {0.5, 0.5, 0};
  float probs[2], logits[2];
  average_members(members, weights, 2, probs, logits);
  EXPECT_NEAR(logits[0], 0.0f, 1e-6);
  EXPECT_NEAR(logits[1], -200.0 + std::log(0.5), 1e-3);  // log(0.5 e^-300 + 0.5 e^-200)
  EXPECT_EQ(probs[1], 0.0f);
  EXPECT_NEAR(probs[0], 1.0f, 1e-7);
}

class EnsembleLabels : public test::TempFilesTest {
 protected:
  // A model directory whose config.json is models/demo's with `labels`.
  std::string model_dir(const std::string& name, const std::vector<std::string>& labels) {
    nlohmann::json config = nlohmann::json::parse(std::ifstream(std::string(BERTFT_SOURCE_DIR) + "/models/demo/config.json"));
    for (size_t i = 0; i < labels.size(); i++) config["id2label"][std::to_string(i)] = labels[i];
    const std::string path = write(name + "/config.json", config.dump());
    return path.substr(0, path.size() - std::string("/config.json").size());
  }
};

TEST_F(EnsembleLabels, MustAgreeInNumberNamesAndOrder) {
  const std::string a = model_dir("a", {"negative", "positive"}), b = model_dir("b", {"negative", "positive"});
  const std::vector<std::string> same = {a, b};
  EXPECT_EQ(test::thrown_error([&] { check_same_labels(same); }), "");

  const std::string swapped = model_dir("swapped", {"positive", "negative"});
  const std::vector<std::string> order = {a, b, swapped};
  EXPECT_EQ(test::thrown_error([&] { check_same_labels(order); }),
            "--model " + swapped + " has the labels [\"positive\",\"negative\"], --model " + a +
                " has [\"negative\",\"positive\"]: an ensemble's models need the same labels in the same order "
                "(config.json id2label)");
  const std::string three = model_dir("three", {"negative", "positive", "mixed"});
  const std::vector<std::string> count = {a, three};
  EXPECT_NE(test::thrown_error([&] { check_same_labels(count); }).find("has the labels [\"negative\",\"positive\",\"mixed\"]"),
            std::string::npos);
}

TEST(EnsembleEvaluation, AveragesProbabilitiesAndScoresTheirCrossEntropy) {
  // Two members, two examples of labels 0 and 1, three classes.
  Evaluation a, b;
  a.logits = {1.0f, 0.0f, -1.0f, 0.0f, 2.0f, 0.0f};
  b.logits = {-1.0f, 0.5f, 0.0f, 3.0f, -2.0f, 0.0f};
  const std::vector<int32_t> labels = {0, 1};
  const std::vector<Evaluation> members = {a, b};
  const std::vector<double> weights = {0.25, 0.75};
  const Evaluation ev = average_evaluations(members, weights, labels, 3);
  for (size_t i = 0; i < 2; i++) {
    const std::vector<double> pa = softmax({a.logits.begin() + i * 3, a.logits.begin() + i * 3 + 3});
    const std::vector<double> pb = softmax({b.logits.begin() + i * 3, b.logits.begin() + i * 3 + 3});
    std::vector<double> p(3);
    for (int k = 0; k < 3; k++) {
      p[k] = 0.25 * pa[k] + 0.75 * pb[k];
      EXPECT_NEAR(ev.probs[i * 3 + k], p[k], 1e-7);
    }
    EXPECT_NEAR(ev.losses[i], -std::log(p[labels[i]]), 1e-6) << i;
    EXPECT_EQ(ev.predicted[i], std::max_element(p.begin(), p.end()) - p.begin()) << i;
  }
  // The members disagree on example 1: member a says class 1, the heavier member b class 0.
  EXPECT_EQ(ev.predicted[1], 0);
}

}  // namespace
}  // namespace bertft
