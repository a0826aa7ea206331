#pragma once
// One float allocation carved into views. The carving code runs twice: first against a counting
// arena (no memory, take() only adds up sizes), then against exactly that many floats, assigning
// the views. Size and layout come from the same code, so they cannot disagree.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <string>

#include "common/error.h"
#include "common/float_convert.h"

namespace bertft {

class FloatArena {
 public:
  FloatArena() = default;                        // counting: take() returns nullptr
  explicit FloatArena(float* base) : base_(base) {}  // carving: take() returns views into base

  float* take(int64_t n) {
    float* view = base_ ? base_ + used_ : nullptr;
    used_ += n;
    return view;
  }
  // n bfloat16 values, in whole 64-byte lines of floats so every view stays 64-byte aligned relative
  // to the base.
  bf16* take_bf16(int64_t n) { return reinterpret_cast<bf16*>(take((n + 31) / 32 * 16)); }
  int64_t used() const { return used_; }

 private:
  float* base_ = nullptr;
  int64_t used_ = 0;
};

// carve(FloatArena&) takes every view; it runs once to count and once to assign. On allocation
// failure throws Error(oom_message(bytes)).
template <class Carve, class OomMessage>
std::unique_ptr<float[]> allocate_arena(Carve&& carve, OomMessage&& oom_message) {
  FloatArena counter;
  carve(counter);
  const int64_t total = counter.used();
  std::unique_ptr<float[]> storage(new (std::nothrow) float[total]);
  if (!storage) throw Error(oom_message(static_cast<size_t>(total) * sizeof(float)));
  FloatArena arena(storage.get());
  carve(arena);
  return storage;
}

}  // namespace bertft
