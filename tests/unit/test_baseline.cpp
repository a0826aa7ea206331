#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "baseline/logistic_regression.h"
#include "baseline/tfidf.h"
#include "common/error.h"

namespace bertft {
namespace {

std::vector<std::string> tokens_of(const std::string& text) {
  std::string lowered;
  std::vector<std::string_view> tokens;
  tfidf_tokens(text, lowered, tokens);
  return std::vector<std::string>(tokens.begin(), tokens.end());
}

using Strings = std::vector<std::string>;

// Expected values are what sklearn's TfidfVectorizer().build_analyzer() returns (Python 3.11).
TEST(BaselineTokens, MatchesSklearnTokenPattern) {
  EXPECT_EQ(tokens_of("The movie, I'd say: NOT bad!"), (Strings{"the", "movie", "say", "not", "bad"}));
  EXPECT_EQ(tokens_of("__init__ don't I'm 42 a b"), (Strings{"__init__", "don", "42"}));
  EXPECT_EQ(tokens_of(""), Strings{});
  EXPECT_EQ(tokens_of("x"), Strings{});
  EXPECT_EQ(tokens_of("ab<br />cd"), (Strings{"ab", "br", "cd"}));
}

TEST(BaselineTokens, UnicodeLikePython) {
  EXPECT_EQ(tokens_of("Café NAÏVE"), (Strings{"café", "naïve"}));
  // A combining mark is not \w in Python's re, so it ends the token.
  EXPECT_EQ(tokens_of("cafe\u0301 x"), (Strings{"cafe"}));
  // str.lower() maps U+0130 to "i" + U+0307 (a combining mark): the 'i' is left alone.
  EXPECT_EQ(tokens_of("İstanbul"), (Strings{"stanbul"}));
  EXPECT_EQ(tokens_of("ΣΑΣ"), (Strings{"σας"}));  // final sigma
  // Numeric characters (No) are word characters.
  EXPECT_EQ(tokens_of("x² ½½ ①② a b"), (Strings{"x²", "½½", "①②"}));
  EXPECT_EQ(tokens_of("hello\u00a0world\u3000日本語 ﬁne"), (Strings{"hello", "world", "日本語", "ﬁne"}));
  EXPECT_EQ(tokens_of("Straße ǅemal"), (Strings{"straße", "ǆemal"}));
  EXPECT_EQ(tokens_of("a\ufffdb ab\ufffdcd"), (Strings{"ab", "cd"}));
  EXPECT_EQ(tokens_of("ab\xff" "cd"), (Strings{"ab", "cd"}));  // invalid UTF-8 separates
}

std::vector<std::string_view> views(const std::vector<std::string>& docs) {
  return std::vector<std::string_view>(docs.begin(), docs.end());
}

// The value of feature `term` in row r, 0 if absent.
double value(const TfidfVectorizer& v, const SparseMatrix& m, int64_t r, const std::string& term) {
  for (int64_t k = m.indptr[r]; k < m.indptr[r + 1]; k++)
    if (v.terms()[m.indices[k]] == term) return m.values[k];
  return 0;
}

const std::vector<std::string> kDocs = {"The cat sat", "the cat THE cat", "dog a sat"};

TEST(BaselineTfidf, BigramsAndMinDf) {
  TfidfVectorizer v(TfidfOptions{2, 2, true});
  v.fit(views(kDocs));
  // df: the 2, cat 2, sat 2, dog 1; "the cat" 2, "cat sat" 1, "cat the" 1, "dog sat" 1.
  EXPECT_EQ(v.terms(), (Strings{"cat", "sat", "the", "the cat"}));
  EXPECT_EQ(v.df(), (std::vector<int64_t>{2, 2, 2, 2}));
  for (double idf : v.idf()) EXPECT_DOUBLE_EQ(idf, std::log(4.0 / 3.0) + 1);
  const SparseMatrix m = v.transform(views(kDocs));
  ASSERT_EQ(m.rows(), 3);
  EXPECT_EQ(m.cols, 4);
  for (const char* t : {"cat", "sat", "the", "the cat"}) EXPECT_DOUBLE_EQ(value(v, m, 0, t), 0.5);
  // Equal sublinear tf (1 + ln 2) and idf for cat, the, "the cat": equal after normalisation.
  for (const char* t : {"cat", "the", "the cat"}) EXPECT_NEAR(value(v, m, 1, t), 1 / std::sqrt(3.0), 1e-15);
  EXPECT_EQ(value(v, m, 1, "sat"), 0);
  EXPECT_DOUBLE_EQ(value(v, m, 2, "sat"), 1.0);  // "dog" and "dog sat" are not in the vocabulary
  for (int64_t r = 0; r < m.rows(); r++)
    for (int64_t k = m.indptr[r] + 1; k < m.indptr[r + 1]; k++) EXPECT_LT(m.indices[k - 1], m.indices[k]);
}

TEST(BaselineTfidf, IdfAndTfFormulas) {
  const std::vector<std::string> docs = {"The cat sat", "the cat THE cat", "dog a sat", "dog dog dog dog"};
  TfidfVectorizer v(TfidfOptions{1, 1, true});
  v.fit(views(docs));
  EXPECT_EQ(v.terms(), (Strings{"cat", "dog", "sat", "the"}));
  EXPECT_EQ(v.df(), (std::vector<int64_t>{2, 2, 2, 2}));
  const SparseMatrix m = v.transform(views(std::vector<std::string>{"cat cat cat sat", "zebra"}));
  // n = 4, df = 2: idf = ln(5/3) + 1 for both; tf 3 -> 1 + ln 3, tf 1 -> 1.
  const double idf = std::log(5.0 / 3.0) + 1, a = (1 + std::log(3.0)) * idf, b = idf;
  EXPECT_NEAR(value(v, m, 0, "cat"), a / std::hypot(a, b), 1e-15);
  EXPECT_NEAR(value(v, m, 0, "sat"), b / std::hypot(a, b), 1e-15);
  EXPECT_EQ(m.indptr[2] - m.indptr[1], 0);  // no known word: an empty row

  TfidfVectorizer raw(TfidfOptions{1, 1, false});
  raw.fit(views(std::vector<std::string>{"aa bb", "aa cc cc"}));
  // idf: aa ln(3/3) + 1 = 1, bb and cc ln(3/2) + 1.
  EXPECT_DOUBLE_EQ(raw.idf()[0], 1.0);
  EXPECT_DOUBLE_EQ(raw.idf()[1], std::log(1.5) + 1);
  const SparseMatrix r = raw.transform(views(std::vector<std::string>{"aa cc cc"}));
  const double c = 2 * (std::log(1.5) + 1);
  EXPECT_NEAR(value(raw, r, 0, "cc"), c / std::hypot(1.0, c), 1e-15);
}

TEST(BaselineTfidf, NothingLeftIsAnError) {
  TfidfVectorizer v(TfidfOptions{1, 3, true});
  EXPECT_THROW(v.fit(views(kDocs)), Error);
}

SparseMatrix random_matrix(int rows, int cols, double density, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> g(0, 1);
  SparseMatrix m;
  m.cols = cols;
  for (int r = 0; r < rows; r++) {
    for (int c = 0; c < cols; c++)
      if (u(rng) < density) {
        m.indices.push_back(c);
        m.values.push_back(g(rng));
      }
    m.indptr.push_back(m.nnz());
  }
  return m;
}

std::vector<int32_t> random_labels(int n, int classes, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<int32_t> y(n);
  for (int i = 0; i < n; i++) y[i] = i < classes ? i : static_cast<int32_t>(rng() % classes);
  return y;
}

class BaselineSolver : public ::testing::TestWithParam<int> {};

TEST_P(BaselineSolver, GradientMatchesFiniteDifferences) {
  const int K = GetParam(), outputs = K == 2 ? 1 : K;
  const SparseMatrix x = random_matrix(40, 7, 0.4, 1);
  const std::vector<int32_t> y = random_labels(40, K, 2);
  std::mt19937 rng(3);
  std::normal_distribution<double> g(0, 0.5);
  std::vector<double> params(7 * outputs + outputs);
  for (double& p : params) p = g(rng);
  std::vector<double> grad;
  LogisticRegression::objective(x, y, K, 0.7, params, &grad);
  for (size_t j = 0; j < params.size(); j++) {
    const double h = 1e-5;
    std::vector<double> plus = params, minus = params;
    plus[j] += h;
    minus[j] -= h;
    const double fd = (LogisticRegression::objective(x, y, K, 0.7, plus, nullptr) -
                       LogisticRegression::objective(x, y, K, 0.7, minus, nullptr)) / (2 * h);
    EXPECT_NEAR(grad[j], fd, 1e-6 * std::max(1.0, std::abs(fd))) << "parameter " << j;
  }
}

TEST_P(BaselineSolver, ReachesAStationaryPoint) {
  const int K = GetParam();
  const SparseMatrix x = random_matrix(200, 30, 0.2, 4);
  const std::vector<int32_t> y = random_labels(200, K, 5);
  LogisticRegression lr;
  const LogisticRegressionResult res = lr.fit(x, y, K, LogisticRegressionOptions{2.0, 1e-10, 100});
  EXPECT_TRUE(res.converged);
  std::vector<double> params = lr.weights();
  params.insert(params.end(), lr.intercepts().begin(), lr.intercepts().end());
  std::vector<double> grad;
  const double f = LogisticRegression::objective(x, y, K, 2.0, params, &grad);
  EXPECT_DOUBLE_EQ(f, res.objective);
  double max_grad = 0;
  for (double v : grad) max_grad = std::max(max_grad, std::abs(v));
  EXPECT_LT(max_grad, 1e-7);
  const std::vector<double> probs = lr.predict_proba(x);
  for (int i = 0; i < 200; i++) {
    double sum = 0;
    for (int k = 0; k < K; k++) sum += probs[i * K + k];
    EXPECT_NEAR(sum, 1.0, 1e-12);
  }
}

INSTANTIATE_TEST_SUITE_P(Classes, BaselineSolver, ::testing::Values(2, 3));

// One feature, x = +1 with labels {1, 1, 0} and x = -1 with {0, 0, 1}: by symmetry b = 0, and the
// gradient in w is w + 2C (3 sigmoid(w) - 2), zero at the root found here by bisection.
TEST(BaselineSolverKnown, NonSeparableOptimum) {
  SparseMatrix x;
  x.cols = 1;
  const std::vector<int32_t> y = {1, 1, 0, 0, 0, 1};
  for (int i = 0; i < 6; i++) {
    x.indices.push_back(0);
    x.values.push_back(i < 3 ? 1.0 : -1.0);
    x.indptr.push_back(x.nnz());
  }
  const double C = 1.5;
  double lo = 0, hi = 10;
  for (int i = 0; i < 200; i++) {
    const double mid = (lo + hi) / 2;
    (mid + 2 * C * (3 / (1 + std::exp(-mid)) - 2) > 0 ? hi : lo) = mid;
  }
  LogisticRegression lr;
  EXPECT_TRUE(lr.fit(x, y, 2, LogisticRegressionOptions{C, 1e-12, 100}).converged);
  EXPECT_NEAR(lr.weights()[0], lo, 1e-10);
  EXPECT_NEAR(lr.intercepts()[0], 0, 1e-10);
}

// Separable data: L2 keeps w finite; x = +1 -> 1, x = -1 -> 0 gives w = 2C (1 - sigmoid(w)).
TEST(BaselineSolverKnown, SeparableOptimum) {
  SparseMatrix x;
  x.cols = 1;
  for (double v : {1.0, -1.0}) {
    x.indices.push_back(0);
    x.values.push_back(v);
    x.indptr.push_back(x.nnz());
  }
  const double C = 4;
  double lo = 0, hi = 20;
  for (int i = 0; i < 200; i++) {
    const double mid = (lo + hi) / 2;
    (mid - 2 * C * (1 - 1 / (1 + std::exp(-mid))) > 0 ? hi : lo) = mid;
  }
  LogisticRegression lr;
  lr.fit(x, std::vector<int32_t>{1, 0}, 2, LogisticRegressionOptions{C, 1e-12, 100});
  EXPECT_NEAR(lr.weights()[0], lo, 1e-10);
  EXPECT_EQ(lr.predict(x), (std::vector<int32_t>{1, 0}));
}

// With no features the unpenalised intercepts reproduce the class frequencies.
TEST(BaselineSolverKnown, InterceptsAreClassFrequencies) {
  SparseMatrix empty;
  empty.cols = 3;
  empty.indptr.assign(9, 0);
  LogisticRegression binary;
  binary.fit(empty, std::vector<int32_t>{1, 1, 1, 0, 1, 1, 0, 1}, 2, LogisticRegressionOptions{});
  EXPECT_NEAR(binary.intercepts()[0], std::log(3.0), 1e-8);
  LogisticRegression multi;
  multi.fit(empty, std::vector<int32_t>{2, 2, 1, 2, 0, 2, 1, 2}, 3, LogisticRegressionOptions{});
  const std::vector<double> p = multi.predict_proba(empty);
  EXPECT_NEAR(p[0], 1.0 / 8, 1e-8);
  EXPECT_NEAR(p[1], 2.0 / 8, 1e-8);
  EXPECT_NEAR(p[2], 5.0 / 8, 1e-8);
  EXPECT_EQ(multi.predict(empty)[0], 2);
}

TEST(BaselineSolverKnown, BadInputsAreErrors) {
  SparseMatrix x;
  x.cols = 1;
  x.indptr.assign(4, 0);
  LogisticRegression lr;
  EXPECT_THROW(lr.fit(x, std::vector<int32_t>{0, 0, 0}, 2, LogisticRegressionOptions{}), Error);  // no class 1
  EXPECT_THROW(lr.fit(x, std::vector<int32_t>{0, 1}, 2, LogisticRegressionOptions{}), Error);     // count
  EXPECT_THROW(lr.fit(x, std::vector<int32_t>{0, 1, 2}, 2, LogisticRegressionOptions{}), Error);  // range
  EXPECT_THROW(lr.fit(x, std::vector<int32_t>{0, 1, 1}, 2, LogisticRegressionOptions{0.0}), Error);
}

}  // namespace
}  // namespace bertft
