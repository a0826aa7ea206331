// Data-parallel bookkeeping without MPI: shards, the gradient ranges summed, and the GradientReducer's
// buckets (their order and when they start) over a stand-in second rank. The MPI runs themselves are
// tests/integration/test_mpi_parity.
#include <gtest/gtest.h>

#include <numeric>
#include <utility>

#include "distributed/communicator.h"
#include "distributed/gradient_reducer.h"
#include "training/data_parallel.h"

#include "test_util.h"

namespace bertft {

namespace {

using test::tiny_config;

// Rank 0 of two, whose partner holds the same gradients (so a sum doubles them) and touched
// `partner_rows`. Records where each bucket reduction started, relative to `base`.
class MirrorCommunicator final : public Communicator {
 public:
  MirrorCommunicator(const float* base, std::vector<int32_t> partner_rows)
      : base_(base), partner_rows_(std::move(partner_rows)) {}
  int rank() const override { return 0; }
  int size() const override { return 2; }
  std::string name() const override { return "mirror"; }
  void all_reduce_sum(std::span<float> data) const override {
    for (float& x : data) x *= 2;
  }
  void all_reduce_sum(std::span<double> data) const override {
    for (double& x : data) x *= 2;
  }
  std::unique_ptr<Pending> start_all_reduce_sum(std::span<float> data) const override {
    started.emplace_back(data.data() - base_, data.size());
    all_reduce_sum(data);
    struct Done final : Pending {
      bool done() override { return true; }
    };
    return std::make_unique<Done>();
  }
  void all_reduce_max(std::span<uint64_t>) const override {}
  std::vector<int32_t> all_gather(std::span<const int32_t> data) const override {
    std::vector<int32_t> all(data.begin(), data.end());
    all.insert(all.end(), partner_rows_.begin(), partner_rows_.end());
    return all;
  }
  void broadcast(std::span<std::byte>, int) const override {}
  [[noreturn]] void abort(int) const override { std::abort(); }

  mutable std::vector<std::pair<ptrdiff_t, size_t>> started;

 private:
  const float* base_;
  std::vector<int32_t> partner_rows_;
};

}  // namespace

TEST(DataParallel, ShardsSplitABatchEvenlyInOrder) {
  for (int64_t count : {1, 2, 7, 8, 100}) {
    for (int ranks : {1, 2, 3, 8}) {
      int64_t next = 0;
      for (int r = 0; r < ranks; r++) {
        const Shard s = shard_of(count, r, ranks);
        EXPECT_EQ(s.begin, next);
        EXPECT_GE(s.size(), count / ranks);
        EXPECT_LE(s.size(), count / ranks + 1);
        next = s.end;
      }
      EXPECT_EQ(next, count);
    }
  }
  EXPECT_EQ(shard_of(1, 0, 2).size(), 0);  // the last batch of an epoch may leave a rank nothing
  EXPECT_EQ(shard_of(1, 1, 2).size(), 1);
}

TEST(DataParallel, DenseRangesLeaveOutSparseWordRowsAndFrozenTensors) {
  const ModelParams grads(tiny_config(), Heads{});
  const TensorSpec* word = grads.find("bert.embeddings.word_embeddings.weight");
  auto all = dense_gradient_ranges(grads, false, false);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].begin, 0u);
  EXPECT_EQ(all[0].end, grads.size());
  auto sparse = dense_gradient_ranges(grads, false, true);
  ASSERT_EQ(sparse.size(), 1u);
  EXPECT_EQ(sparse[0].begin, word->numel);
  EXPECT_EQ(sparse[0].end, grads.size());
  auto heads = dense_gradient_ranges(grads, true, true);
  ASSERT_EQ(heads.size(), 1u);
  EXPECT_EQ(heads[0].begin, grads.find("bert.pooler.dense.weight")->offset);
  EXPECT_EQ(heads[0].end, grads.size());
}

TEST(DataParallel, BucketsStartFromTheEndAsGradientsBecomeFinal) {
  std::vector<float> grads(50);
  std::iota(grads.begin(), grads.end(), 0.0f);
  MirrorCommunicator comm(grads.data(), {});
  GradientReducer reducer(comm, grads.data(), {{0, 10}, {20, 45}}, 10);
  EXPECT_EQ(reducer.buckets(), 4u);
  EXPECT_EQ(reducer.reduced_floats(), 35u);
  for (int step = 0; step < 2; step++) {
    comm.started.clear();
    reducer.final_from(grads.data() + 30);  // [35, 45) lies wholly in the final part, [25, 35) does not
    reducer.final_from(grads.data() + 25);
    reducer.finish();
    const std::vector<std::pair<ptrdiff_t, size_t>> order = {{35, 10}, {25, 10}, {20, 5}, {0, 10}};
    EXPECT_EQ(comm.started, order);
  }
  for (int i = 0; i < 50; i++) {
    const bool reduced = i < 10 || (i >= 20 && i < 45);
    EXPECT_EQ(grads[i], reduced ? 4.0f * i : static_cast<float>(i)) << i;  // summed in both steps
  }
}

TEST(DataParallel, SparseRowsAreSummedOverTheUnionOfTouchedRows) {
  const int64_t width = 2;
  std::vector<float> table(6 * width, 0.0f);
  for (int32_t row : {1, 4}) table[row * width] = table[row * width + 1] = static_cast<float>(row);
  MirrorCommunicator comm(table.data(), {3, 1});
  GradientReducer reducer(comm, table.data(), {}, 4);
  const std::vector<int32_t> touched = {4, 1};
  EXPECT_EQ(reducer.sum_rows(table.data(), width, touched), (std::vector<int32_t>{1, 3, 4}));
  const std::vector<float> want = {0, 0, 2, 2, 0, 0, 0, 0, 8, 8, 0, 0};
  EXPECT_EQ(table, want);
}

}  // namespace bertft
