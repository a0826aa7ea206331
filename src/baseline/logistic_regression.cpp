#include "baseline/logistic_regression.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.h"

namespace bertft {
namespace {

double dot(std::span<const double> a, std::span<const double> b) {
  double s = 0;
#pragma omp parallel for reduction(+ : s) schedule(static)
  for (size_t i = 0; i < a.size(); i++) s += a[i] * b[i];
  return s;
}

double sigmoid(double z) {
  if (z >= 0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}

// log(1 + exp(m)) without overflow.
double softplus(double m) { return m > 0 ? m + std::log1p(std::exp(-m)) : std::log1p(std::exp(m)); }

// The objective over a fixed data set. Parameters: weights [d, K] row-major (K = 1 for two classes),
// then K intercepts. Row i's scores are z_i = x_i W + b; `r` / `t` hold one value per (row, output).
class Problem {
 public:
  Problem(const SparseMatrix& x, std::span<const int32_t> labels, int num_classes, double C)
      : x_(x), xt_(x.transpose()), labels_(labels), K_(num_classes == 2 ? 1 : num_classes), C_(C) {}

  size_t size() const { return static_cast<size_t>(x_.cols) * K_ + K_; }
  int outputs() const { return K_; }

  // Value and gradient; keeps the probabilities at `params` for hessian_times().
  double value_gradient(std::span<const double> params, std::vector<double>& gradient) {
    const int64_t n = x_.rows();
    scores(params, z_);
    probs_.resize(z_.size());
    r_.resize(z_.size());
    double loss = 0;
    const int K = K_;
#pragma omp parallel for reduction(+ : loss) schedule(static)
    for (int64_t i = 0; i < n; i++) {
      const int y = labels_[i];
      if (K == 1) {
        const double z = z_[i];
        probs_[i] = sigmoid(z);
        loss += softplus(y == 1 ? -z : z);
        r_[i] = probs_[i] - y;
        continue;
      }
      const double* zi = &z_[i * K];
      const double m = *std::max_element(zi, zi + K);
      double sum = 0;
      for (int k = 0; k < K; k++) sum += std::exp(zi[k] - m);
      loss += m + std::log(sum) - zi[y];
      for (int k = 0; k < K; k++) {
        probs_[i * K + k] = std::exp(zi[k] - m) / sum;
        r_[i * K + k] = probs_[i * K + k] - (k == y ? 1.0 : 0.0);
      }
    }
    gradient.resize(size());
    transpose_times(r_, params, gradient);
    double half_norm = 0;
    const size_t nw = static_cast<size_t>(x_.cols) * K_;
    for (size_t j = 0; j < nw; j++) half_norm += params[j] * params[j];
    return C_ * loss + 0.5 * half_norm;
  }

  // Hessian of the objective at the last value_gradient() point, times v.
  void hessian_times(std::span<const double> v, std::vector<double>& out) {
    const int64_t n = x_.rows();
    scores(v, u_);
    t_.resize(u_.size());
    const int K = K_;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; i++) {
      if (K == 1) {
        t_[i] = probs_[i] * (1 - probs_[i]) * u_[i];
        continue;
      }
      const double* p = &probs_[i * K];
      const double* u = &u_[i * K];
      double pu = 0;
      for (int k = 0; k < K; k++) pu += p[k] * u[k];
      for (int k = 0; k < K; k++) t_[i * K + k] = p[k] * (u[k] - pu);
    }
    out.resize(size());
    transpose_times(t_, v, out);
  }

 private:
  // z = X W + b for the parameter vector `params`.
  void scores(std::span<const double> params, std::vector<double>& z) const {
    const int64_t n = x_.rows();
    const int K = K_;
    const double* w = params.data();
    const double* b = params.data() + static_cast<size_t>(x_.cols) * K;
    z.resize(static_cast<size_t>(n) * K);
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; i++) {
      double* zi = &z[i * K];
      for (int k = 0; k < K; k++) zi[k] = b[k];
      for (int64_t e = x_.indptr[i]; e < x_.indptr[i + 1]; e++) {
        const double xv = x_.values[e];
        const double* wj = w + static_cast<size_t>(x_.indices[e]) * K;
        for (int k = 0; k < K; k++) zi[k] += xv * wj[k];
      }
    }
  }

  // out = C X^T r + (weights of `params`, intercepts 0) -- the shape of both the gradient and H v.
  void transpose_times(const std::vector<double>& r, std::span<const double> params, std::vector<double>& out) const {
    const int K = K_;
    const int64_t d = x_.cols;
#pragma omp parallel for schedule(static)
    for (int64_t j = 0; j < d; j++) {
      double* oj = &out[j * K];
      for (int k = 0; k < K; k++) oj[k] = 0;
      for (int64_t e = xt_.indptr[j]; e < xt_.indptr[j + 1]; e++) {
        const double xv = xt_.values[e];
        const double* ri = &r[static_cast<size_t>(xt_.indices[e]) * K];
        for (int k = 0; k < K; k++) oj[k] += xv * ri[k];
      }
      for (int k = 0; k < K; k++) oj[k] = C_ * oj[k] + params[j * K + k];
    }
    double* ob = &out[d * K];
    for (int k = 0; k < K; k++) ob[k] = 0;
    for (int64_t i = 0; i < x_.rows(); i++)
      for (int k = 0; k < K; k++) ob[k] += r[i * K + k];
    for (int k = 0; k < K; k++) ob[k] *= C_;
  }

  const SparseMatrix& x_;
  SparseMatrix xt_;
  std::span<const int32_t> labels_;
  int K_;
  double C_;
  std::vector<double> z_, probs_, r_, u_, t_;
};

void check_inputs(const SparseMatrix& x, std::span<const int32_t> labels, int num_classes, double C) {
  if (num_classes < 2) throw Error("logistic regression needs at least 2 classes, got " + std::to_string(num_classes));
  if (static_cast<int64_t>(labels.size()) != x.rows())
    throw Error("logistic regression: " + std::to_string(labels.size()) + " labels for " +
                std::to_string(x.rows()) + " rows");
  if (!(C > 0) || !std::isfinite(C)) throw Error("logistic regression: C must be a positive number");
  for (int32_t y : labels)
    if (y < 0 || y >= num_classes)
      throw Error("logistic regression: label " + std::to_string(y) + " outside [0, " + std::to_string(num_classes) + ")");
}

}  // namespace

double LogisticRegression::objective(const SparseMatrix& x, std::span<const int32_t> labels, int num_classes,
                                     double C, std::span<const double> params, std::vector<double>* gradient) {
  check_inputs(x, labels, num_classes, C);
  Problem problem(x, labels, num_classes, C);
  if (params.size() != problem.size()) throw Error("logistic regression: wrong parameter count");
  std::vector<double> g;
  const double f = problem.value_gradient(params, g);
  if (gradient) *gradient = std::move(g);
  return f;
}

LogisticRegressionResult LogisticRegression::fit(const SparseMatrix& x, std::span<const int32_t> labels,
                                                 int num_classes, const LogisticRegressionOptions& options) {
  check_inputs(x, labels, num_classes, options.C);
  if (!(options.tol > 0)) throw Error("logistic regression: tol must be positive");
  if (options.max_iter < 1) throw Error("logistic regression: max_iter must be at least 1");
  std::vector<int64_t> count(num_classes, 0);
  for (int32_t y : labels) count[y]++;
  for (int k = 0; k < num_classes; k++)
    if (count[k] == 0)
      throw Error("logistic regression: class " + std::to_string(k) + " has no training examples");

  Problem problem(x, labels, num_classes, options.C);
  const size_t m = problem.size();
  std::vector<double> theta(m, 0.0), g, trial(m), g_trial, d(m), r(m), p(m), hp;
  double f = problem.value_gradient(theta, g);
  const double g0 = std::sqrt(dot(g, g));
  LogisticRegressionResult result;
  // A Newton step changes the objective by less than its rounding error once the gradient is tiny;
  // comparing without this slack would reject good steps there.
  const auto slack = [](double value) { return 1e-12 * std::abs(value); };
  double gnorm = g0;
  while (g0 > 0 && !(gnorm <= options.tol * g0) && result.iterations < options.max_iter) {
    result.iterations++;
    // Truncated CG on H d = -g, to a relative residual that shrinks as the gradient does
    // (superlinear convergence, as in sklearn's newton-cg and liblinear's TRON).
    std::fill(d.begin(), d.end(), 0.0);
    for (size_t i = 0; i < m; i++) r[i] = p[i] = -g[i];
    double rr = gnorm * gnorm;
    const double eta = std::min(0.5, std::sqrt(gnorm / g0));
    for (int it = 0; it < 1000; it++) {
      problem.hessian_times(p, hp);
      result.cg_iterations++;
      const double php = dot(p, hp);
      if (!(php > 0)) break;
      const double alpha = rr / php;
      for (size_t i = 0; i < m; i++) {
        d[i] += alpha * p[i];
        r[i] -= alpha * hp[i];
      }
      const double rr_new = dot(r, r);
      if (std::sqrt(rr_new) <= eta * gnorm) break;
      const double beta = rr_new / rr;
      for (size_t i = 0; i < m; i++) p[i] = r[i] + beta * p[i];
      rr = rr_new;
    }
    const double gd = dot(g, d);
    double step = 1;
    bool accepted = false;
    for (int halvings = 0; halvings < 50 && gd < 0; halvings++, step *= 0.5) {
      for (size_t i = 0; i < m; i++) trial[i] = theta[i] + step * d[i];
      const double f_trial = problem.value_gradient(trial, g_trial);
      if (f_trial <= f + 1e-4 * step * gd + slack(f)) {
        theta.swap(trial);
        g.swap(g_trial);
        f = f_trial;
        accepted = true;
        break;
      }
    }
    if (!accepted) {
      // Restores the probabilities at theta, which the failed trials overwrote.
      f = problem.value_gradient(theta, g);
      break;
    }
    gnorm = std::sqrt(dot(g, g));
  }
  result.objective = f;
  result.gradient_norm = g0 > 0 ? gnorm / g0 : 0;
  result.converged = g0 == 0 || gnorm <= options.tol * g0;

  num_classes_ = num_classes;
  num_features_ = x.cols;
  const size_t nw = static_cast<size_t>(x.cols) * problem.outputs();
  weights_.assign(theta.begin(), theta.begin() + static_cast<std::ptrdiff_t>(nw));
  intercepts_.assign(theta.begin() + static_cast<std::ptrdiff_t>(nw), theta.end());
  return result;
}

std::vector<double> LogisticRegression::decision_function(const SparseMatrix& x) const {
  if (x.cols != num_features_)
    throw Error("logistic regression: " + std::to_string(x.cols) + " features, the model has " +
                std::to_string(num_features_));
  const int K = outputs();
  const int64_t n = x.rows();
  std::vector<double> z(static_cast<size_t>(n) * K);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; i++) {
    double* zi = &z[i * K];
    for (int k = 0; k < K; k++) zi[k] = intercepts_[k];
    for (int64_t e = x.indptr[i]; e < x.indptr[i + 1]; e++)
      for (int k = 0; k < K; k++) zi[k] += x.values[e] * weights_[static_cast<size_t>(x.indices[e]) * K + k];
  }
  return z;
}

std::vector<double> LogisticRegression::predict_proba(const SparseMatrix& x) const {
  const std::vector<double> z = decision_function(x);
  const int K = outputs();
  const int64_t n = x.rows();
  std::vector<double> probs(static_cast<size_t>(n) * num_classes_);
  for (int64_t i = 0; i < n; i++) {
    const double* zi = &z[i * K];
    double* pi = &probs[i * num_classes_];
    if (K == 1) {
      pi[1] = sigmoid(zi[0]);
      pi[0] = 1 - pi[1];
      continue;
    }
    const double mx = *std::max_element(zi, zi + K);
    double sum = 0;
    for (int k = 0; k < K; k++) sum += pi[k] = std::exp(zi[k] - mx);
    for (int k = 0; k < K; k++) pi[k] /= sum;
  }
  return probs;
}

std::vector<int32_t> LogisticRegression::predict(const SparseMatrix& x) const {
  const std::vector<double> z = decision_function(x);
  const int K = outputs();
  std::vector<int32_t> out(static_cast<size_t>(x.rows()));
  for (size_t i = 0; i < out.size(); i++) {
    const double* zi = &z[i * K];
    out[i] = static_cast<int32_t>(K == 1 ? (zi[0] > 0 ? 1 : 0) : std::max_element(zi, zi + K) - zi);
  }
  return out;
}

}  // namespace bertft
