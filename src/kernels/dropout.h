#pragma once
// Dropout with a counter-based mask: whether element `index` of stream `stream` is kept is a pure
// function of (seed, stream, index), so a mask never needs storing (the backward pass regenerates
// it), is reproducible, and does not depend on the thread count or on how work is split.
// Inverted scaling as in PyTorch: kept elements are multiplied by 1 / (1 - p), dropped ones are 0.
#include <cstdint>

namespace bertft {

inline uint64_t mix64(uint64_t x) {  // splitmix64's finaliser: a bijective 64-bit hash
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// The per-step seed: one run seed and the optimizer step give every step its own masks.
inline uint64_t dropout_step_seed(uint64_t seed, uint64_t step) {
  return mix64(mix64(seed + 0x9e3779b97f4a7c15ULL) ^ (step * 0xd1b54a32d192ed03ULL));
}

// The key for one stream (a dropout site of one layer) of one step's seed.
inline uint64_t dropout_stream_key(uint64_t seed, uint64_t stream) {
  return mix64(seed ^ mix64(stream + 0x632be59bd9b4e019ULL));
}

// A uniform float in [0, 1) with 24 random bits for element `index` of the stream with `key`.
inline float dropout_uniform(uint64_t key, uint64_t index) {
  const uint64_t h = mix64(key + index * 0x9e3779b97f4a7c15ULL);
  return static_cast<float>(h >> 40) * (1.0f / 16777216.0f);
}

inline bool dropout_keep(uint64_t key, uint64_t index, float p) { return dropout_uniform(key, index) >= p; }

// out[i] = in[i] * keep(i) / (1 - p) for i in [0, n), element indices index0 + i of the stream.
// p <= 0 copies; p >= 1 zeroes. out may alias in.
void dropout_forward(float* out, const float* in, int64_t n, float p, uint64_t seed, uint64_t stream,
                     uint64_t index0 = 0);
// The backward pass is the same masking and scaling of dout: din may alias dout.
void dropout_backward(float* din, const float* dout, int64_t n, float p, uint64_t seed, uint64_t stream,
                      uint64_t index0 = 0);

}  // namespace bertft
