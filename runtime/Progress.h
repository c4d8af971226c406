//===- Progress.h - the training loop's one-line progress display -*- C++ -*-===//

#ifndef TGC_RUNTIME_PROGRESS_H
#define TGC_RUNTIME_PROGRESS_H

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace tgc {

/// Step times smoothed over the last few dozen steps: throughput and ETA.
/// Only the time between beginStep and endStep counts, so evaluation and
/// checkpoints do not lower the rate.
class StepClock {
public:
  StepClock();
  void beginStep();
  void endStep(int64_t examples);
  double examplesPerSecond() const;
  double secondsFor(int64_t steps) const;
  double elapsedSeconds() const;

private:
  using Clock = std::chrono::steady_clock;
  Clock::time_point start, stepStart;
  double smoothedStepSeconds = 0;
  double examplesPerStep = 0;
};

/// "epoch 2/5  step 950/2340  loss 0.4123  11.8k ex/s  ETA 1m05s": redrawn
/// in place (\r) on a terminal, a line every few seconds otherwise.
class ProgressLine {
public:
  ProgressLine(std::FILE *out, bool enabled);
  ~ProgressLine();
  ProgressLine(const ProgressLine &) = delete;
  ProgressLine &operator=(const ProgressLine &) = delete;
  /// Shows `text`; unless `force`, only when the last update is old enough.
  void update(const std::string &text, bool force = false);
  /// Prints a line of its own, ending the progress line first.
  void print(const std::string &line);

private:
  std::FILE *out;
  bool enabled;
  bool terminal;
  bool lineOpen = false;
  size_t lineWidth = 0;
  std::chrono::steady_clock::time_point lastUpdate;
};

/// "4.2s", "42s", "3m05s", "1h02m".
std::string formatDuration(double seconds);
/// "812", "11.8k", "1.25M".
std::string formatRate(double perSecond);

} // namespace tgc

#endif // TGC_RUNTIME_PROGRESS_H
