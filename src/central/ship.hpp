#pragma once
// Shipping a replica's SQLite audit log (the durable outbox) into the central store. The cursor is
// the central store itself: each batch, in one transaction under a per-replica advisory lock, reads
// the replica's newest central record, checks the local log still holds exactly that record (so a
// truncated or rewritten local log is refused and noted in triage_ship_faults), then inserts the
// next records in order. Re-sending changes nothing; a crash or outage at any point loses nothing.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace triage::central {

struct ShipOptions {
  std::string replica_id;        // the chain's key in the central store
  std::int64_t batch_size = 1000;
  std::int64_t max_batches = 0;  // 0: until the local log is shipped
};

struct ShipReport {
  bool ok = false;
  std::int64_t shipped = 0;      // records inserted by this call
  std::int64_t batches = 0;
  std::int64_t rulesets = 0;     // rulesets sent (each hash once)
  std::int64_t central_seq = 0;  // the replica's newest record in the central store afterwards
  std::int64_t local_seq = 0;    // the local log's newest record when last read
  std::int64_t feedback_shipped = 0;      // feedback entries inserted by this call
  std::int64_t feedback_central_seq = 0;  // the replica's newest feedback entry in the central store
  std::string problem;           // why not ok
};

// The replica id a log's records carry (the newest one's), or empty.
std::string replica_id_of(const std::string& audit_db, std::string& error);

// Ships the log at `audit_db` to `url`, creating or migrating the central schema first. Never throws.
ShipReport ship_audit_log(const std::string& audit_db, const std::string& url, const ShipOptions& options);

// The in-server shipper: a thread owned and joined by this object that ships every `interval_ms`
// (and at once when nudged), reconnecting after failures with backoff. It only reads the SQLite
// file through its own read-only connection, so the request path never waits for it.
class BackgroundShipper {
 public:
  // `on_round` is told after each round (on the shipper thread): the report and whether it changed
  // from failing to working or back. Starts the thread.
  BackgroundShipper(std::string audit_db, std::string url, ShipOptions options, int interval_ms,
                    std::function<void(const ShipReport& report, bool state_changed)> on_round);
  ~BackgroundShipper();
  // Stops the thread after the round in progress; safe to call twice.
  void stop();
  // Records written locally but not yet in the central store (as of the last round), and the
  // seconds since the last successful round (-1 before the first).
  std::int64_t lag_records() const { return lag_.load(); }
  double seconds_since_success() const;
  // The replica's newest record in the central store, as last seen (0 before the first).
  std::int64_t central_seq() const { return central_seq_.load(); }
  // Whether the last round worked (true before the first).
  bool last_round_ok() const { return last_ok_.load(); }
  const std::string& replica_id() const { return options_.replica_id; }

 private:
  void run();
  std::string audit_db_;
  std::string url_;
  ShipOptions options_;
  int interval_ms_;
  std::function<void(const ShipReport&, bool)> on_round_;
  std::atomic<std::int64_t> lag_{0};
  std::atomic<std::int64_t> last_success_micros_{0};
  std::atomic<std::int64_t> central_seq_{0};
  std::atomic<bool> last_ok_{true};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace triage::central
