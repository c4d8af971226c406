//===- Progress.cpp - the training loop's one-line progress display -------===//

#include "Progress.h"

#include "Error.h"

#include <unistd.h>

#include <cmath>

namespace tgc {

// Weight of the newest step in the smoothed step time: about the last 30
// steps count, so the rate follows changes but does not flicker.
constexpr double kSmoothing = 1.0 / 16;

StepClock::StepClock() : start(Clock::now()), stepStart(start) {}

void StepClock::beginStep() { stepStart = Clock::now(); }

void StepClock::endStep(int64_t examples) {
  double seconds = std::chrono::duration<double>(Clock::now() - stepStart).count();
  examplesPerStep = double(examples);
  smoothedStepSeconds = smoothedStepSeconds == 0
                            ? seconds
                            : smoothedStepSeconds + kSmoothing * (seconds - smoothedStepSeconds);
}

double StepClock::examplesPerSecond() const {
  return smoothedStepSeconds > 0 ? examplesPerStep / smoothedStepSeconds : 0;
}

double StepClock::secondsFor(int64_t steps) const { return double(steps) * smoothedStepSeconds; }

double StepClock::elapsedSeconds() const {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

ProgressLine::ProgressLine(std::FILE *out, bool enabled)
    : out(out), enabled(enabled), terminal(isatty(fileno(out)) != 0) {}

void ProgressLine::update(const std::string &text, bool force) {
  if (!enabled)
    return;
  // A terminal redraws cheaply; a log file gets a line now and then.
  auto interval = terminal ? std::chrono::milliseconds(100) : std::chrono::seconds(10);
  auto now = std::chrono::steady_clock::now();
  if (!force && now - lastUpdate < interval)
    return;
  lastUpdate = now;
  if (terminal) {
    // Pad with spaces to erase the rest of a longer previous line.
    std::fprintf(out, "\r%s%*s", text.c_str(),
                 int(lineWidth > text.size() ? lineWidth - text.size() : 0), "");
    lineWidth = text.size();
    lineOpen = true;
  } else {
    std::fprintf(out, "%s\n", text.c_str());
  }
  std::fflush(out);
}

ProgressLine::~ProgressLine() {
  if (lineOpen)
    std::fputc('\n', out); // so that an error message starts a line
}

void ProgressLine::print(const std::string &line) {
  if (!enabled)
    return;
  if (lineOpen) // replace the progress line
    std::fprintf(out, "\r%s%*s\n", line.c_str(),
                 int(lineWidth > line.size() ? lineWidth - line.size() : 0), "");
  else
    std::fprintf(out, "%s\n", line.c_str());
  lineOpen = false;
  lineWidth = 0;
  std::fflush(out);
}

std::string formatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0)
    return "?";
  if (seconds < 10)
    return format("%.1fs", seconds);
  long long total = std::llround(seconds);
  if (total < 60)
    return format("%llds", total);
  if (total < 3600)
    return format("%lldm%02llds", total / 60, total % 60);
  return format("%lldh%02lldm", total / 3600, total / 60 % 60);
}

std::string formatRate(double perSecond) {
  if (perSecond >= 1e6)
    return format("%.2fM", perSecond / 1e6);
  if (perSecond >= 1e4)
    return format("%.1fk", perSecond / 1e3);
  return format("%.0f", perSecond);
}

} // namespace tgc
