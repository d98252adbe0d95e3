#include "audit/feedback_queue.hpp"

#include <utility>

namespace triage {

FeedbackQueue::FeedbackQueue(Store store, std::size_t capacity)
    : store_(std::move(store)), capacity_(capacity), thread_([this] { run(); }) {}

FeedbackQueue::~FeedbackQueue() { stop(); }

void FeedbackQueue::submit(std::vector<FeedbackEntry> entries, FeedbackDone done) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stopping_ && posts_.size() < capacity_) {
      posts_.push_back({std::move(entries), std::move(done)});
      wake_.notify_one();
      return;
    }
  }
  done({FeedbackStored::failed, "the audit log has too much feedback waiting to be stored; try again shortly"});
}

void FeedbackQueue::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

std::size_t FeedbackQueue::depth() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return posts_.size();
}

void FeedbackQueue::run() {
  for (;;) {
    Post post;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !posts_.empty(); });
      if (posts_.empty()) return;  // stopping, and everything queued was stored
      post = std::move(posts_.front());
      posts_.pop_front();
    }
    FeedbackResult result;
    for (const auto& entry : post.entries) {
      std::string error;
      FeedbackStored stored = store_(entry, error);
      if (stored == FeedbackStored::stored || stored == FeedbackStored::duplicate) continue;
      result = {stored, std::move(error)};
      break;
    }
    post.done(std::move(result));
  }
}

}  // namespace triage
