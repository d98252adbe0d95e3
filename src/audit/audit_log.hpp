#pragma once
// The decision audit log: SQLite in WAL mode with synchronous=FULL, written by one thread that
// owns the connection and commits queued decisions in batches (group commit). A caller hands over
// a record with a completion; the completion runs on the writer thread once the batch holding the
// record is durable, or has failed. Each record's hash covers the previous record's hash and the
// record itself, so edits, deletions and reordering are detectable.
//
// Thread-safety: append() and the accessors may be called from any thread.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "audit/feedback.hpp"
#include "audit/feedback_queue.hpp"
#include "metrics/primitives.hpp"

namespace triage {

struct AuditRecord {
  std::string decision_id;
  std::int64_t decided_at_micros = 0;
  std::string client;
  std::string request_id;
  std::string ruleset_hash;
  std::string answers;   // canonical JSON of the answers, keys sorted
  std::string decision;  // the decision's canonical record (api/decision_record.hpp)
  std::string trace_id;  // W3C trace id of the call (32 hex digits), or empty
};

// Called once per appended record: `ok` false with a reason when the record was not stored.
using AuditDone = std::function<void(bool ok, const std::string& error)>;

// Signs a checkpoint statement (record.hpp: checkpoint_statement) with a key kept outside the log:
// sets `key_id` and `signature` (base64), or returns false with `error`.
using CheckpointSigner = std::function<bool(const std::string& statement, std::string& key_id,
                                            std::string& signature, std::string& error)>;

// When the writer signs the chain head: after every `every_records` records, and after `every` has
// passed with records not yet covered (checked at least once a second), and at close.
struct CheckpointPolicy {
  CheckpointSigner sign;
  std::int64_t every_records = 100;
  std::chrono::milliseconds every{5000};
};

// Where the writer reports its own measurements (every pointer may be null: not measured).
struct AuditMetrics {
  metrics::Histogram* commit_seconds = nullptr;  // per record: from append() to its batch's commit
  metrics::Histogram* batch_records = nullptr;   // records per committed transaction
  metrics::Counter* write_failures = nullptr;    // failed transactions
  metrics::Counter* records = nullptr;           // records committed
};

class AuditLog {
 public:
  // Opens or creates the log (owner-only permissions), migrates its schema and starts the writer.
  // Returns null with `error` set when the file cannot be opened or is not an audit log.
  // `busy_timeout_ms` is how long a write waits for a lock held by another connection.
  // An existing file that is empty (0 bytes, or SQLite without tables) is refused unless `init`
  // says a new log is intended there. A log that opens but fails the start-up check (SQLite's
  // quick_check, the hash chain over the last `tail_check` records) is returned faulty: see fault().
  static std::unique_ptr<AuditLog> open(const std::string& path, std::string& error, int busy_timeout_ms = 5000,
                                        bool init = false);
  ~AuditLog();

  // Why the log failed its start-up check; empty when it is sound. A faulty log is never written:
  // appends and store_ruleset fail with this reason and health never recovers.
  const std::string& fault() const { return fault_; }

  // How many of the last records the start-up check follows the chain over.
  static constexpr std::int64_t tail_check = 10000;

  // Stores a ruleset's files under its hash, if not stored yet. Synchronous; false with `error`.
  bool store_ruleset(const std::string& hash, const std::vector<std::pair<std::string, std::string>>& files,
                     std::string& error);

  // Stamps every record appended from now on with this replica id (covered by the hash chain).
  // Set before the first append.
  void set_replica_id(std::string replica_id) { replica_id_ = std::move(replica_id); }

  // Records the verified signature of a stored ruleset (the first one kept). Synchronous.
  bool store_ruleset_signature(const std::string& hash, const std::string& statement, const std::string& signing_key,
                               const std::string& signature, const std::string& signer, std::string& error);

  // Stores one feedback entry at once (synchronous, durable on return) when it is about a logged
  // decision issued to the same issuer and was not stored before; otherwise says why in `error`.
  FeedbackStored store_feedback(const FeedbackEntry& entry, std::string& error);

  // The same for a whole post, off the caller's thread: the entries are stored in order on the
  // log's feedback thread (stopping at the first refused one), and `done` runs there once they
  // are durable, or at once with `failed` when too many posts wait or the log is closed.
  void store_feedback_async(std::vector<FeedbackEntry> entries, FeedbackDone done);

  // Posts of feedback most that may wait for the feedback thread.
  static constexpr std::size_t feedback_queue_capacity = 256;

  // Remembers a CDS token's "iss\njti" `key` until `expires_at` (seconds since the epoch), durably,
  // forgetting those expired by `now`: true the first time, false when it was already remembered,
  // nullopt when the log cannot say (faulted or unwritable). Synchronous.
  std::optional<bool> remember_token(const std::string& key, std::int64_t expires_at, std::int64_t now);

  // Queues a record. `done` runs on the writer thread after the commit (or failure).
  void append(AuditRecord record, AuditDone done);

  // False after a failed write, until a later write succeeds.
  bool healthy() const;

  // Signs checkpoints from now on (stored in the log's `checkpoints` table, in the same transaction
  // as the records they cover). Call before the first append. A failed signature never fails a
  // decision: the records commit, the reason is kept (checkpoint_error) and the next batch retries.
  void set_checkpoints(CheckpointPolicy policy);
  // Why the last checkpoint could not be signed; empty once one succeeds.
  std::string checkpoint_error() const;

  // Called (on the writer thread) when a probe write succeeds after failures. While unhealthy and
  // idle the writer probes once a second, so health recovers even when no calls arrive (a load
  // balancer stops sending them to a NOT_SERVING server). Set before the first append.
  void set_recovery_listener(std::function<void()> listener) { recovered_ = std::move(listener); }

  // Reports the writer's measurements to `metrics` from now on. Call before the first append; the
  // counters must outlive the log.
  void set_metrics(AuditMetrics metrics) { metrics_ = metrics; }
  // Records queued and not yet taken into a transaction.
  std::size_t queue_depth() const;

  // Writes everything queued, then stops the writer. Further appends fail at once.
  void close();

  const std::string& path() const { return path_; }

 private:
  struct Pending {
    AuditRecord record;
    AuditDone done;
    std::chrono::steady_clock::time_point queued;
  };
  struct Impl;
  AuditMetrics metrics_;

  explicit AuditLog(std::string path);
  void run();
  void write_batch(std::vector<Pending>& batch);
  void complete();  // the completion thread
  void resync();    // after a failed batch (writer thread)
  bool probe();     // a real write, to see whether writing works again (writer thread)
  // With connection_mutex_ held: signs and inserts a checkpoint for the records up to `seq` (head
  // `head`; seq 0 is the empty chain) when `force` or the policy says one is due; `again` re-signs
  // a seq already checkpointed (a newer signed_at). Throws sql::SqliteError on a failed insert.
  void checkpoint_if_due(std::int64_t seq, const std::string& head, bool force, bool again = false);
  void idle_checkpoint(bool force);  // writer thread, outside a batch
  CheckpointPolicy checkpoints_;     // guarded by connection_mutex_
  std::string checkpoint_error_;     // guarded by connection_mutex_
  std::function<void()> recovered_;
  std::string replica_id_;

  struct Completion {
    AuditDone done;
    bool ok;
    std::string error;
  };

  std::string path_;
  std::string fault_;
  std::unique_ptr<Impl> impl_;
  // Feedback posts, stored on their own thread (started by open(), stopped first by close()).
  std::unique_ptr<FeedbackQueue> feedback_queue_;
  mutable std::mutex connection_mutex_;  // the SQLite connection is used by one thread at a time
  mutable std::mutex mutex_;     // queue_, closing_, healthy_
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  bool closing_ = false;
  bool healthy_ = true;
  std::thread writer_;

  // Completions run on their own thread, so finishing calls never holds up the next commit.
  std::mutex completion_mutex_;
  std::condition_variable completion_wake_;
  std::deque<Completion> completions_;
  bool completions_closing_ = false;
  std::thread completer_;

  // WAL checkpoints run on their own connection and thread, so commits never wait for one.
  void checkpoint();
  std::condition_variable checkpoint_wake_;
  std::thread checkpointer_;
};

}  // namespace triage
