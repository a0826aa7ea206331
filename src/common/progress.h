#pragma once
// Progress of a long loop on stderr: a redrawn bar with ETA on a terminal, a plain line every
// `interval_s` seconds otherwise (logs stay readable).
#include <chrono>
#include <cstdint>
#include <string>

namespace bertft {

class Progress {
 public:
  Progress(std::string label, int64_t total, double interval_s = 30);
  // `done` of `total` units; `status` is appended (e.g. "loss 0.41 1,530 tok/s").
  void update(int64_t done, const std::string& status);
  // Ends the bar's line on a terminal.
  void finish();

 private:
  using Clock = std::chrono::steady_clock;
  std::string label_;
  int64_t total_;
  double interval_s_;
  bool tty_;
  Clock::time_point start_, last_print_;
  int64_t start_done_ = -1;
};

}  // namespace bertft
