// Feedback stored off the request thread: the queue's order, bound and first-refusal rule, and the
// audit log's asynchronous feedback (durable before its reply, never written to a damaged log).
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "audit/audit_log.hpp"
#include "audit/feedback_queue.hpp"
#include "audit/reader.hpp"
#include "audit/record.hpp"
#include "api/decision_proto.hpp"

namespace triage {
namespace {

namespace fs = std::filesystem;

FeedbackEntry entry_for(const std::string& decision_id, const std::string& outcome_at) {
  FeedbackEntry entry;
  entry.decision_id = decision_id;
  entry.received_at_micros = now_micros();
  entry.service = "back-pain-triage";
  entry.issuer = "https://ehr.test";
  entry.client = "https://ehr.test#dr-7";
  entry.outcome = "accepted";
  entry.outcome_at = outcome_at;
  return entry;
}

// A store that waits at a gate until opened, and remembers what it stored and on which thread.
struct GatedStore {
  std::mutex mutex;
  std::condition_variable changed;
  bool open = false;
  std::vector<std::string> stored;
  std::thread::id thread;

  FeedbackQueue::Store store() {
    return [this](const FeedbackEntry& entry, std::string& error) {
      std::unique_lock<std::mutex> lock(mutex);
      changed.wait(lock, [&] { return open; });
      thread = std::this_thread::get_id();
      if (entry.decision_id == "refused") {
        error = "no such card";
        return FeedbackStored::unknown_card;
      }
      stored.push_back(entry.decision_id);
      return FeedbackStored::stored;
    };
  }
  void let_through() {
    std::lock_guard<std::mutex> lock(mutex);
    open = true;
    changed.notify_all();
  }
};

}  // namespace

TEST_CASE("feedback queue: posts are stored in order on its own thread, and a full queue answers busy at once",
          "[audit][feedback]") {
  GatedStore gate;
  FeedbackQueue queue(gate.store(), 3);
  std::vector<std::promise<FeedbackResult>> results(5);
  auto post = [&](int i, const std::string& card) {
    queue.submit({entry_for(card, "t")}, [&results, i](FeedbackResult result) { results[i].set_value(result); });
  };
  post(0, "a");
  // The thread takes the first post and waits at the gate; three more fill the queue.
  for (int spin = 0; spin < 2000 && queue.depth() != 0; ++spin) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  REQUIRE(queue.depth() == 0);
  post(1, "b");
  post(2, "c");
  post(3, "d");
  post(4, "e");  // one too many: answered now, on this thread, without waiting for the gate
  auto busy = results[4].get_future();
  REQUIRE(busy.wait_for(std::chrono::seconds(0)) == std::future_status::ready);
  FeedbackResult refused = busy.get();
  CHECK(refused.status == FeedbackStored::failed);
  CHECK_THAT(refused.error, Catch::Contains("try again"));
  gate.let_through();
  for (int i = 0; i < 4; ++i) CHECK(results[i].get_future().get().status == FeedbackStored::stored);
  CHECK(gate.stored == std::vector<std::string>{"a", "b", "c", "d"});
  CHECK(gate.thread != std::this_thread::get_id());
}

TEST_CASE("feedback queue: a post stops at its first refused entry and says why", "[audit][feedback]") {
  GatedStore gate;
  gate.let_through();
  FeedbackQueue queue(gate.store(), 8);
  std::promise<FeedbackResult> result;
  queue.submit({entry_for("first", "t"), entry_for("refused", "t"), entry_for("never", "t")},
               [&result](FeedbackResult r) { result.set_value(r); });
  FeedbackResult r = result.get_future().get();
  CHECK(r.status == FeedbackStored::unknown_card);
  CHECK(r.error == "no such card");
  CHECK(gate.stored == std::vector<std::string>{"first"});  // the one before stays stored
}

TEST_CASE("feedback queue: stop stores what was queued, then refuses", "[audit][feedback]") {
  GatedStore gate;
  FeedbackQueue queue(gate.store(), 8);
  std::promise<FeedbackResult> queued;
  queue.submit({entry_for("queued", "t")}, [&queued](FeedbackResult r) { queued.set_value(r); });
  std::thread opener([&gate] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    gate.let_through();
  });
  queue.stop();
  opener.join();
  CHECK(queued.get_future().get().status == FeedbackStored::stored);
  std::promise<FeedbackResult> late;
  queue.submit({entry_for("late", "t")}, [&late](FeedbackResult r) { late.set_value(r); });
  CHECK(late.get_future().get().status == FeedbackStored::failed);
  CHECK(gate.stored == std::vector<std::string>{"queued"});
}

namespace {

struct Folder {
  fs::path path = fs::temp_directory_path() / ("triage-feedback-queue-" + new_decision_id());
  Folder() { fs::create_directories(path); }
  ~Folder() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  std::string db() const { return (path / "audit.db").string(); }
};

void issue_card(AuditLog& log, const std::string& decision_id) {
  AuditRecord record;
  record.decision_id = decision_id;
  record.decided_at_micros = now_micros();
  record.client = "https://ehr.test#dr-7";
  record.ruleset_hash = "h";
  record.answers = "{}";
  record.decision = "{}";
  std::promise<bool> stored;
  log.append(std::move(record), [&stored](bool ok, const std::string&) { stored.set_value(ok); });
  REQUIRE(stored.get_future().get());
}

// Feedback rows another connection sees; -1 when the log cannot be read. (No assertion here: it
// is also called on the log's feedback thread, where Catch may not assert.)
long feedback_rows(const std::string& db) {
  std::string error;
  auto reader = AuditReader::open(db, error);
  if (!reader) return -1;
  return static_cast<long>(reader->feedback("").size());
}

}  // namespace

TEST_CASE("audit log: feedback is stored off the caller's thread and is durable when the reply comes",
          "[audit][feedback]") {
  Folder folder;
  std::string error;
  auto log = AuditLog::open(folder.db(), error, 5000, true);
  REQUIRE(log != nullptr);
  issue_card(*log, "card-1");
  std::promise<std::pair<FeedbackResult, long>> seen;
  const auto caller = std::this_thread::get_id();
  std::thread::id replier;
  log->store_feedback_async({entry_for("card-1", "2026-12-04T09:00:00Z"), entry_for("card-1", "2026-12-04T09:00:00Z")},
                            [&](FeedbackResult result) {
                              replier = std::this_thread::get_id();
                              // Read through another connection before replying: already committed.
                              seen.set_value({result, feedback_rows(folder.db())});
                            });
  auto [result, rows] = seen.get_future().get();
  CHECK(result.status == FeedbackStored::stored);  // the second, identical entry is a duplicate
  CHECK(rows == 1);
  CHECK(replier != caller);

  std::promise<FeedbackResult> unknown;
  log->store_feedback_async({entry_for("never-issued", "t")}, [&](FeedbackResult r) { unknown.set_value(r); });
  FeedbackResult refused = unknown.get_future().get();
  CHECK(refused.status == FeedbackStored::unknown_card);
  CHECK_THAT(refused.error, Catch::Contains("never-issued"));

  log->close();
  std::promise<FeedbackResult> closed;
  log->store_feedback_async({entry_for("card-1", "later")}, [&](FeedbackResult r) { closed.set_value(r); });
  CHECK(closed.get_future().get().status == FeedbackStored::failed);
  CHECK(feedback_rows(folder.db()) == 1);
}

TEST_CASE("audit log: a damaged log takes no feedback", "[audit][feedback][startup]") {
  Folder folder;
  std::string error;
  {
    auto log = AuditLog::open(folder.db(), error, 5000, true);
    REQUIRE(log != nullptr);
    issue_card(*log, "card-1");
    issue_card(*log, "card-2");
  }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(folder.db().c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "UPDATE decisions SET answers = '{\"x\":1}' WHERE seq = 1", nullptr, nullptr, nullptr) ==
          SQLITE_OK);
  sqlite3_close(db);
  auto log = AuditLog::open(folder.db(), error);
  REQUIRE(log != nullptr);
  REQUIRE_FALSE(log->fault().empty());
  CHECK(log->store_feedback(entry_for("card-2", "t"), error) == FeedbackStored::failed);
  CHECK(error == log->fault());
  std::promise<FeedbackResult> async;
  log->store_feedback_async({entry_for("card-2", "t2")}, [&](FeedbackResult r) { async.set_value(r); });
  FeedbackResult result = async.get_future().get();
  CHECK(result.status == FeedbackStored::failed);
  CHECK(result.error == log->fault());
  log.reset();
  CHECK(feedback_rows(folder.db()) == 0);
}

}  // namespace triage
