#pragma once
// L2-regularised logistic regression with an unpenalised intercept on sparse rows, minimising
// scikit-learn's LogisticRegression objective (penalty="l2", fit_intercept=True):
//   two classes   C * sum_i log(1 + exp(-s_i (w.x_i + b))) + 1/2 |w|^2,     s_i = +1 for class 1, -1 for 0
//   K > 2 classes C * sum_i -log softmax(W x_i + b)_{y_i} + 1/2 |W|_F^2     (multi_class="multinomial",
//                 what sklearn's lbfgs picks for K > 2)
// The objective is strictly convex in w, so its minimiser is unique and any solver that reaches it
// reproduces sklearn's converged model. This one is a line-search truncated Newton method
// (conjugate gradient on Hessian-vector products), which converges quadratically near the optimum:
// it stops when |gradient|_2 <= tol * |gradient at w = 0|_2.
#include <cstdint>
#include <span>
#include <vector>

#include "baseline/tfidf.h"

namespace bertft {

struct LogisticRegressionOptions {
  double C = 1.0;
  double tol = 1e-8;
  int max_iter = 100;  // Newton iterations
};

struct LogisticRegressionResult {
  int iterations = 0;
  bool converged = false;
  double objective = 0;
  double gradient_norm = 0;  // relative to the gradient at zero
  int cg_iterations = 0;     // Hessian-vector products, summed over Newton iterations
};

class LogisticRegression {
 public:
  LogisticRegression() = default;
  // Fits on rows of x with labels in [0, num_classes); every class must occur. OpenMP-parallel.
  LogisticRegressionResult fit(const SparseMatrix& x, std::span<const int32_t> labels, int num_classes,
                               const LogisticRegressionOptions& options);

  int num_classes() const { return num_classes_; }
  // Score columns: 1 for two classes (the decision function for class 1), else num_classes.
  int outputs() const { return num_classes_ == 2 ? 1 : num_classes_; }
  int64_t num_features() const { return num_features_; }
  // [num_features, outputs] row-major, then intercepts [outputs].
  const std::vector<double>& weights() const { return weights_; }
  const std::vector<double>& intercepts() const { return intercepts_; }

  // [rows, outputs()] scores x W + b.
  std::vector<double> decision_function(const SparseMatrix& x) const;
  // [rows, num_classes] class probabilities (two classes: 1 - sigmoid, sigmoid).
  std::vector<double> predict_proba(const SparseMatrix& x) const;
  // The class of highest score (ties: the lower id, as sklearn's argmax; two classes: 1 iff the
  // decision function is > 0).
  std::vector<int32_t> predict(const SparseMatrix& x) const;

  // The objective above and its gradient (same layout as weights then intercepts) at `params`;
  // exposed for tests.
  static double objective(const SparseMatrix& x, std::span<const int32_t> labels, int num_classes, double C,
                          std::span<const double> params, std::vector<double>* gradient);

 private:
  int num_classes_ = 0;
  int64_t num_features_ = 0;
  std::vector<double> weights_, intercepts_;
};

}  // namespace bertft
