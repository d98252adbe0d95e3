#pragma once
// The two metric kinds the service updates on its request path: a counter and a histogram. Both
// are plain atomics (relaxed), so counting never takes a lock and never waits for a scrape.
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace triage::metrics {

// A monotonically increasing count. Thread-safe, lock-free.
class Counter {
 public:
  // Adds `n` (default 1).
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  // The count so far.
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// Observations sorted into fixed buckets (upper bounds, ascending, +Inf implied) with their sum.
// Thread-safe, lock-free: one relaxed increment of the bucket and one add to the sum per
// observation. A scrape may see an observation's bucket before its sum; counts stay consistent
// because the total is the sum of the buckets.
class Histogram {
 public:
  // `bounds`: the buckets' upper bounds, strictly ascending and finite.
  explicit Histogram(std::vector<double> bounds);

  // Records one observation.
  void observe(double value);

  struct Snapshot {
    std::vector<double> bounds;               // as given
    std::vector<std::uint64_t> cumulative;    // per bound, observations <= bound
    std::uint64_t count = 0;                  // all observations (the +Inf bucket)
    double sum = 0;
  };
  // The counts as of now, cumulative as Prometheus expects.
  Snapshot snapshot() const;

  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // bounds_.size() + 1 (the last: above every bound)
  std::atomic<double> sum_{0};
};

// Bounds for latencies in seconds: 50 us to 10 s, roughly 1-2.5-5 per decade.
std::vector<double> latency_seconds_bounds();

}  // namespace triage::metrics
