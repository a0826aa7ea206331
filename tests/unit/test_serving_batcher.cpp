// Dynamic batching (serving/batcher.h) with a fake forward pass: token and input budgets, requests merged
// and split, results in input order, an ensemble's models batched apart, failures, draining on stop.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "serving/batcher.h"

namespace bertft {
namespace {

// An input of `length` tokens whose first id tags it, so logits can be traced back to it.
TokenizedInput input(int tag, int length) {
  TokenizedInput in;
  in.ids.assign(length, 0);
  in.ids[0] = tag;
  in.type_ids.assign(length, 0);
  return in;
}

// logits = (tag, length) per input; records every batch and can hold batches until released.
struct FakeModel {
  std::mutex mutex;
  std::condition_variable cv;
  bool open = true;
  int entered = 0;
  std::vector<std::vector<int>> batches;  // tags per batch
  std::vector<int64_t> batch_tokens;

  Batcher::Forward forward() {
    return [this](size_t, std::span<const TokenizedInput> batch, float* logits) {
      std::unique_lock lock(mutex);
      entered++;
      cv.notify_all();
      cv.wait(lock, [&] { return open; });
      std::vector<int> tags;
      int64_t tokens = 0;
      for (size_t i = 0; i < batch.size(); i++) {
        logits[2 * i] = static_cast<float>(batch[i].ids[0]);
        logits[2 * i + 1] = static_cast<float>(batch[i].ids.size());
        tags.push_back(batch[i].ids[0]);
        tokens += static_cast<int64_t>(batch[i].ids.size());
      }
      batches.push_back(tags);
      batch_tokens.push_back(tokens);
    };
  }
  void close() {
    std::lock_guard lock(mutex);
    open = false;
  }
  void release() {
    std::lock_guard lock(mutex);
    open = true;
    cv.notify_all();
  }
  void wait_entered(int n) {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return entered >= n; });
  }
};

TEST(ServingBatcher, OneRequestComesBackInInputOrder) {
  FakeModel model;
  Batcher batcher(model.forward(), 2, {100, 8});
  const std::vector<float> logits = batcher.classify({input(7, 3), input(8, 1), input(9, 5)});
  EXPECT_EQ(logits, (std::vector<float>{7, 3, 8, 1, 9, 5}));
  EXPECT_EQ(batcher.queued_inputs(), 0);
}

// An ensemble's submission holds inputs for each of its models: a batch holds one model's, the models
// take turns, and the logits come back model after model, each model's in input order.
TEST(ServingBatcher, ModelsAreBatchedApartAndTakeTurns) {
  std::vector<std::pair<size_t, std::vector<int>>> batches;  // model and tags, per batch
  Batcher batcher(
      [&batches](size_t model, std::span<const TokenizedInput> batch, float* logits) {
        std::vector<int> tags;
        for (size_t i = 0; i < batch.size(); i++) {
          logits[2 * i] = static_cast<float>(model);
          logits[2 * i + 1] = static_cast<float>(batch[i].ids[0]);
          tags.push_back(batch[i].ids[0]);
        }
        batches.emplace_back(model, tags);
      },
      2, {100, 2});
  std::vector<std::vector<TokenizedInput>> inputs(3);
  inputs[0] = {input(1, 3), input(2, 3), input(3, 3)};
  inputs[2] = {input(7, 2)};  // model 1 has none
  std::promise<std::vector<float>> result;
  batcher.submit(std::move(inputs), [&result](std::vector<float> logits, std::exception_ptr) {
    result.set_value(std::move(logits));
  });
  EXPECT_EQ(result.get_future().get(), (std::vector<float>{0, 1, 0, 2, 0, 3, 2, 7}));
  // Model 2's input does not wait for model 0's last one.
  EXPECT_EQ(batches, (std::vector<std::pair<size_t, std::vector<int>>>{{0, {1, 2}}, {2, {7}}, {0, {3}}}));
}

TEST(ServingBatcher, ALargeRequestIsSplitByTokensAndInputs) {
  FakeModel model;
  Batcher batcher(model.forward(), 2, {20, 3});
  std::vector<TokenizedInput> inputs;
  for (int i = 0; i < 10; i++) inputs.push_back(input(i, 6));
  const std::vector<float> logits = batcher.classify(inputs);
  for (int i = 0; i < 10; i++) EXPECT_EQ(logits[2 * i], i);
  // 3 inputs of 6 tokens fit 20 tokens and the 3-input cap: 3, 3, 3, 1.
  ASSERT_EQ(model.batches.size(), 4u);
  EXPECT_EQ(model.batches[0], (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(model.batches[3], (std::vector<int>{9}));

  FakeModel by_tokens;
  Batcher token_bound(by_tokens.forward(), 2, {10, 100});
  token_bound.classify({input(0, 4), input(1, 4), input(2, 4), input(3, 10), input(4, 1)});
  EXPECT_EQ(by_tokens.batches, (std::vector<std::vector<int>>{{0, 1}, {2}, {3}, {4}}));
}

TEST(ServingBatcher, ConcurrentRequestsShareBatchesWithinTheBudget) {
  FakeModel model;
  Batcher batcher(model.forward(), 2, {32, 16});
  // Hold the first batch so the other requests queue up behind it.
  model.close();
  auto first = std::async(std::launch::async, [&] { return batcher.classify({input(100, 4)}); });
  model.wait_entered(1);
  std::vector<std::future<std::vector<float>>> others;
  for (int r = 0; r < 6; r++)
    others.push_back(std::async(std::launch::async, [&, r] { return batcher.classify({input(r, 5), input(10 + r, 3)}); }));
  while (batcher.queued_inputs() < 12) std::this_thread::yield();
  model.release();
  EXPECT_EQ(first.get(), (std::vector<float>{100, 4}));
  for (int r = 0; r < 6; r++) EXPECT_EQ(others[r].get(), (std::vector<float>{float(r), 5, float(10 + r), 3}));
  // 6 requests x 8 tokens = 48 tokens behind the first batch, in two batches of at most 32 tokens. The
  // requests take turns: every request's first input (6 x 5 tokens), then every second one (6 x 3).
  // (The requests' order among themselves is the order their threads queued them in.)
  ASSERT_EQ(model.batches.size(), 3u);
  std::sort(model.batches[1].begin(), model.batches[1].end());
  std::sort(model.batches[2].begin(), model.batches[2].end());
  EXPECT_EQ(model.batches[1], (std::vector<int>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(model.batches[2], (std::vector<int>{10, 11, 12, 13, 14, 15}));
  for (int64_t tokens : model.batch_tokens) EXPECT_LE(tokens, 32);
}

// A one-input request queued behind two 40-input ones is in the next batch, not after their 80 inputs.
TEST(ServingBatcher, ASmallRequestDoesNotWaitForLargeOnes) {
  FakeModel model;
  Batcher batcher(model.forward(), 2, {16, 4});
  model.close();
  auto first = std::async(std::launch::async, [&] { return batcher.classify({input(100, 4)}); });
  model.wait_entered(1);
  std::vector<std::future<std::vector<float>>> large;
  for (int r = 0; r < 2; r++) {
    large.push_back(std::async(std::launch::async, [&, r] {
      std::vector<TokenizedInput> inputs;
      for (int i = 0; i < 40; i++) inputs.push_back(input(1000 * (r + 1) + i, 4));
      return batcher.classify(inputs);
    }));
    while (batcher.queued_inputs() < 40 * (r + 1)) std::this_thread::yield();
  }
  auto small = std::async(std::launch::async, [&] { return batcher.classify({input(7, 4)}); });
  while (batcher.queued_inputs() < 81) std::this_thread::yield();
  model.release();
  EXPECT_EQ(small.get(), (std::vector<float>{7, 4}));
  for (auto& f : large) EXPECT_EQ(f.get().size(), 80u);
  first.get();
  ASSERT_GE(model.batches.size(), 2u);
  const std::vector<int>& next = model.batches[1];
  EXPECT_NE(std::find(next.begin(), next.end(), 7), next.end()) << "the small request missed the next batch";
}

TEST(ServingBatcher, StopWithoutFinishingFailsWhatIsQueued) {
  FakeModel model;
  Batcher batcher(model.forward(), 2, {8, 1});
  model.close();
  auto running = std::async(std::launch::async, [&] { return batcher.classify({input(1, 2)}); });
  model.wait_entered(1);
  auto queued = std::async(std::launch::async, [&] { return batcher.classify({input(2, 2)}); });
  while (batcher.queued_inputs() < 1) std::this_thread::yield();
  auto stopped = std::async(std::launch::async, [&] { batcher.stop(false); });
  // Stopping refuses new work: once a submission is refused, the queued request is past saving.
  for (bool refused = false; !refused; std::this_thread::yield()) {
    try {
      batcher.submit({input(3, 2)}, [](std::vector<float>, std::exception_ptr) {});
    } catch (const std::runtime_error&) {
      refused = true;
    }
  }
  model.release();
  stopped.get();
  EXPECT_EQ(running.get()[0], 1);  // the batch in progress is finished
  EXPECT_THROW(queued.get(), std::runtime_error);
}

TEST(ServingBatcher, AFailedBatchFailsItsRequestsOnly) {
  std::atomic<bool> fail{true};
  Batcher batcher(
      [&](size_t, std::span<const TokenizedInput> batch, float* logits) {
        if (fail) throw std::runtime_error("boom");
        for (size_t i = 0; i < batch.size(); i++) logits[i] = 1;
      },
      1, {16, 4});
  EXPECT_THROW(batcher.classify({input(1, 2)}), std::runtime_error);
  fail = false;
  EXPECT_EQ(batcher.classify({input(1, 2)}), std::vector<float>{1});
}

TEST(ServingBatcher, InputsThatCannotFitAreRefused) {
  FakeModel model;
  Batcher batcher(model.forward(), 2, {8, 4});
  EXPECT_THROW(batcher.classify({input(1, 9)}), std::invalid_argument);
  EXPECT_THROW(batcher.classify({TokenizedInput{}}), std::invalid_argument);
  EXPECT_TRUE(batcher.classify({}).empty());
}

TEST(ServingBatcher, StopFinishesWhatWasSubmitted) {
  FakeModel model;
  Batcher batcher(model.forward(), 2, {8, 1});
  model.close();
  std::vector<std::future<std::vector<float>>> requests;
  for (int r = 0; r < 4; r++) requests.push_back(std::async(std::launch::async, [&, r] { return batcher.classify({input(r, 2)}); }));
  model.wait_entered(1);
  while (batcher.queued_inputs() < 3) std::this_thread::yield();
  auto stopped = std::async(std::launch::async, [&] { batcher.stop(); });
  model.release();
  stopped.get();
  for (int r = 0; r < 4; r++) EXPECT_EQ(requests[r].get()[0], r);
  EXPECT_THROW(batcher.classify({input(1, 2)}), std::runtime_error);
}

}  // namespace
}  // namespace bertft
