#pragma once
// A set of metric families and their text exposition (Prometheus text format 0.0.4, written by
// prometheus-cpp's TextSerializer). Counters and histograms are created once (at start, or when a
// new ruleset names a new red flag) under the registry's lock and then updated lock-free through
// the returned references; families computed at scrape time (queue depth, process state) are
// callbacks. No HTTP here: a listener serves exposition().
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "metrics/primitives.hpp"

namespace triage::metrics {

// Label names and values, in the order they are written.
using Labels = std::vector<std::pair<std::string, std::string>>;

enum class Kind { counter, gauge, histogram };

// One series of a callback family.
struct Sample {
  Labels labels;
  double value = 0;
};

// Thread-safety: every member may be called from any thread; exposition() runs the callbacks on
// the calling thread.
class Registry {
 public:
  // The counter of family `name` (a counter family; `help` is kept from the first call) with these
  // labels, created at the first call. The reference stays valid as long as the registry. With
  // `hide_zero`, the series is left out of the exposition until it counts something (for label
  // sets registered in advance, like every status code of a route). Takes the registry's lock.
  Counter& counter(const std::string& name, const std::string& help, const Labels& labels = {},
                   bool hide_zero = false);
  // The histogram of family `name` with these labels and `bounds` (used when it is created).
  Histogram& histogram(const std::string& name, const std::string& help, const Labels& labels,
                       const std::vector<double>& bounds);
  // A family of kind `kind` (counter or gauge) whose samples `collect` computes at every scrape.
  // `collect` must be thread-safe and must not call back into the registry. Replaces an earlier
  // callback of that name.
  void callback(const std::string& name, const std::string& help, Kind kind,
                std::function<std::vector<Sample>()> collect);

  // Every family in the text format, in the order families were first registered.
  std::string exposition() const;

 private:
  struct Series {
    Labels labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Histogram> histogram;
    bool hide_zero = false;
  };
  struct Family {
    std::string name;
    std::string help;
    Kind kind = Kind::counter;
    std::vector<std::unique_ptr<Series>> series;
    std::function<std::vector<Sample>()> collect;
  };
  Family& family(const std::string& name, const std::string& help, Kind kind);
  Series& series(Family& family, const Labels& labels);

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Family>> families_;
};

// The content type of exposition(): `text/plain; version=0.0.4; charset=utf-8`.
const char* exposition_content_type();

}  // namespace triage::metrics
