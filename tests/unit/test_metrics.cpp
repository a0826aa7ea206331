#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "common/error.h"
#include "evaluation/metrics.h"

namespace bertft {

TEST(Metrics, MulticlassByHand) {
  // Confusion [true][pred]: [[2,0,0],[1,1,1],[0,0,1]].
  const std::vector<int32_t> truth = {0, 1, 1, 0, 1, 2}, pred = {0, 1, 0, 0, 2, 2};
  const ClassificationMetrics m = compute_metrics(truth, pred, 3, {"a", "b", "c"});
  EXPECT_EQ(m.confusion_matrix, (std::vector<std::vector<int64_t>>{{2, 0, 0}, {1, 1, 1}, {0, 0, 1}}));
  EXPECT_DOUBLE_EQ(m.accuracy, 4.0 / 6);
  EXPECT_DOUBLE_EQ(m.per_class[0].precision, 2.0 / 3);
  EXPECT_DOUBLE_EQ(m.per_class[0].recall, 1.0);
  EXPECT_DOUBLE_EQ(m.per_class[0].f1, 0.8);
  EXPECT_DOUBLE_EQ(m.per_class[1].precision, 1.0);
  EXPECT_DOUBLE_EQ(m.per_class[1].recall, 1.0 / 3);
  EXPECT_DOUBLE_EQ(m.per_class[1].f1, 0.5);
  EXPECT_DOUBLE_EQ(m.per_class[2].f1, 2.0 / 3);
  EXPECT_EQ(m.per_class[1].support, 3);
  EXPECT_EQ(m.per_class[2].label, "c");
  EXPECT_DOUBLE_EQ(m.macro_f1, (0.8 + 0.5 + 2.0 / 3) / 3);
  EXPECT_DOUBLE_EQ(m.macro_precision, (2.0 / 3 + 1 + 0.5) / 3);
  EXPECT_DOUBLE_EQ(m.weighted_f1, (0.8 * 2 + 0.5 * 3 + 2.0 / 3) / 6);
  EXPECT_DOUBLE_EQ(m.micro_f1, m.accuracy);  // single-label: micro = accuracy
  EXPECT_FALSE(m.binary_f1.has_value());
  EXPECT_DOUBLE_EQ(m.f1(), m.macro_f1);
  const nlohmann::json j = m.to_json();
  EXPECT_DOUBLE_EQ(j["f1"].get<double>(), m.macro_f1);
  EXPECT_FALSE(j.contains("loss"));
  EXPECT_EQ(j["per_class"][1]["support"], 3);
}

TEST(Metrics, BinaryUsesThePositiveClass) {
  const std::vector<int32_t> truth = {1, 1, 0, 0}, pred = {1, 0, 0, 0};
  const std::vector<float> loss = {0.5f, 1.5f, 0.25f, 0.25f};
  const ClassificationMetrics m = compute_metrics(truth, pred, 2, {}, loss);
  EXPECT_DOUBLE_EQ(*m.binary_precision, 1.0);
  EXPECT_DOUBLE_EQ(*m.binary_recall, 0.5);
  EXPECT_DOUBLE_EQ(*m.binary_f1, 2.0 / 3);
  EXPECT_DOUBLE_EQ(m.to_json()["f1"].get<double>(), 2.0 / 3);
  EXPECT_DOUBLE_EQ(m.to_json()["loss"].get<double>(), 0.625);
  EXPECT_EQ(m.per_class[0].label, "0");
  EXPECT_DOUBLE_EQ(m.get("eval_f1"), 2.0 / 3);
  EXPECT_DOUBLE_EQ(m.get("loss"), 0.625);
  EXPECT_DOUBLE_EQ(m.get("accuracy"), 0.75);
  EXPECT_THROW(m.get("bleu"), Error);
}

TEST(Metrics, ZeroDivisionGivesZero) {
  const std::vector<int32_t> truth = {0, 0}, pred = {0, 0};
  const ClassificationMetrics m = compute_metrics(truth, pred, 2);
  EXPECT_EQ(*m.binary_precision, 0.0);
  EXPECT_EQ(*m.binary_recall, 0.0);
  EXPECT_EQ(*m.binary_f1, 0.0);
  EXPECT_EQ(m.accuracy, 1.0);
  EXPECT_DOUBLE_EQ(m.macro_f1, 0.5);
  const ClassificationMetrics empty = compute_metrics({}, {}, 3);
  EXPECT_EQ(empty.accuracy, 0.0);
  EXPECT_EQ(empty.weighted_f1, 0.0);
  EXPECT_THROW(empty.get("loss"), Error);
}

TEST(Metrics, RejectsBadInput) {
  const std::vector<int32_t> ok = {0, 1}, bad = {0, 2}, short_ = {0};
  EXPECT_THROW(compute_metrics(ok, bad, 2), Error);
  EXPECT_THROW(compute_metrics(ok, short_, 2), Error);
  EXPECT_THROW(compute_metrics(ok, ok, 2, {"only one"}), Error);
  const std::vector<float> loss = {1.0f};
  EXPECT_THROW(compute_metrics(ok, ok, 2, {}, loss), Error);
}

TEST(Metrics, RocAucCountsPairsAndHalvesTies) {
  // Positives 0.9, 0.4, 0.4; negatives 0.4, 0.1: pairs won 2 + 1 + 0.5 + 1 + 0.5 + 1 = 5 of 6.
  const std::vector<float> scores = {0.9f, 0.4f, 0.1f, 0.4f, 0.4f};
  const std::vector<uint8_t> positives = {1, 1, 0, 0, 1};
  EXPECT_DOUBLE_EQ(roc_auc(scores, positives), 5.0 / 6.0);
  EXPECT_DOUBLE_EQ(roc_auc(std::vector<float>{1, 2, 3}, std::vector<uint8_t>{0, 0, 1}), 1.0);
  EXPECT_DOUBLE_EQ(roc_auc(std::vector<float>{3, 2, 1}, std::vector<uint8_t>{0, 0, 1}), 0.0);
  EXPECT_TRUE(std::isnan(roc_auc(std::vector<float>{1, 2}, std::vector<uint8_t>{1, 1})));
  EXPECT_THROW(roc_auc(std::vector<float>{1}, std::vector<uint8_t>{1, 0}), std::invalid_argument);
}

}  // namespace bertft
