#pragma once
// Feedback posts stored off the request thread: a bounded queue drained, in arrival order, by one
// thread this object owns and joins. A post's entries are stored one by one with the caller's
// `store` (synchronous and durable, AuditLog::store_feedback), stopping at the first entry that is
// refused or fails; then the post's `done` runs on the queue's thread. The HTTP thread that took
// the post never waits for SQLite, and the reply still comes only after the commit.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "audit/feedback.hpp"

namespace triage {

class FeedbackQueue {
 public:
  // Stores one entry durably, or says why not in `error`.
  using Store = std::function<FeedbackStored(const FeedbackEntry& entry, std::string& error)>;

  // Starts the thread. At most `capacity` posts wait; more are answered busy at once.
  FeedbackQueue(Store store, std::size_t capacity);
  ~FeedbackQueue();
  FeedbackQueue(const FeedbackQueue&) = delete;
  FeedbackQueue& operator=(const FeedbackQueue&) = delete;

  // Queues a post. `done` runs exactly once: on the queue's thread after its entries were stored
  // (or the first refusal), or at once on the caller's thread with `failed` when the queue is full
  // or stopped.
  void submit(std::vector<FeedbackEntry> entries, FeedbackDone done);

  // Stores every post already queued, then joins the thread; later posts fail at once. Safe twice.
  void stop();

  // Posts waiting (not yet taken by the thread).
  std::size_t depth() const;

 private:
  struct Post {
    std::vector<FeedbackEntry> entries;
    FeedbackDone done;
  };
  void run();

  Store store_;
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Post> posts_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace triage
