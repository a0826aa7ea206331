#include "common/progress.h"

#include <unistd.h>

#include <cstdio>

namespace bertft {

namespace {

std::string format_duration(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

}  // namespace

Progress::Progress(std::string label, int64_t total, double interval_s)
    : label_(std::move(label)),
      total_(total),
      interval_s_(interval_s),
      tty_(isatty(STDERR_FILENO)),
      start_(Clock::now()),
      last_print_(start_) {}

void Progress::update(int64_t done, const std::string& status) {
  const auto now = Clock::now();
  if (start_done_ < 0) {  // ETA from the first update on: a resumed run starts part-way
    start_done_ = done;
    start_ = now;
  }
  const double since_print = std::chrono::duration<double>(now - last_print_).count();
  if (done < total_ && since_print < (tty_ ? 0.2 : interval_s_)) return;
  last_print_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const int64_t progressed = done - start_done_;
  const std::string eta =
      progressed > 0 ? format_duration(elapsed / progressed * (total_ - done)) : std::string("?");
  const double fraction = total_ > 0 ? static_cast<double>(done) / total_ : 1.0;
  if (tty_) {
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth);
    std::string bar(filled, '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "\r%s [%s] %lld/%lld ETA %s %s\033[K", label_.c_str(), bar.c_str(),
                 static_cast<long long>(done), static_cast<long long>(total_), eta.c_str(),
                 status.c_str());
  } else {
    std::fprintf(stderr, "%s %lld/%lld (%.0f%%) elapsed %s ETA %s %s\n", label_.c_str(),
                 static_cast<long long>(done), static_cast<long long>(total_), 100 * fraction,
                 format_duration(elapsed).c_str(), eta.c_str(), status.c_str());
  }
  std::fflush(stderr);
}

void Progress::finish() {
  if (tty_) std::fprintf(stderr, "\n");
}

}  // namespace bertft
