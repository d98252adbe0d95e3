#pragma once
// Reloading has one owner: the Reloader's worker thread runs every reload, one at a time. The
// folder watcher (inside the worker), SIGHUP and the ReloadRules RPC post requests to it; a
// candidate serves only when `open_ruleset` says it may (under the deployment's approval policy)
// and the audit log holds it.
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "audit/audit_log.hpp"
#include "ruleset/open.hpp"
#include "serve/event_log.hpp"
#include "serve/decide.hpp"

namespace triage {

// What to serve for an opened, servable ruleset read from `folder` (with its header and signer).
std::shared_ptr<ServedRuleset> make_served(const OpenedRuleset& opened, const std::string& folder);

// Stores an opened, servable ruleset in `audit` (its files and, when verified, its signature), as
// every ruleset must be before it serves. False with `error` when the log refuses.
bool store_opened(AuditLog& audit, const OpenedRuleset& opened, std::string& error);

class Reloader {
 public:
  // Called on the worker with the result, or with null when the request was dropped at stop().
  using Done = std::function<void(const v1::ReloadResult* result)>;

  // Reloads `folder` into `decider`, storing each candidate in `audit` first. Every
  // `watch_interval_ms` (0: never) the worker looks for changed rule files and reloads once they
  // have stopped changing for one interval (the signature file counts as a rule file). Each
  // candidate is judged under `policy`. All references must outlive the Reloader.
  Reloader(std::string folder, int watch_interval_ms, Decider& decider, AuditLog& audit,
           std::shared_ptr<EventLog> log, ApprovalPolicy policy = {});
  // Stops and joins the worker.
  ~Reloader();

  // Starts the worker. Call once.
  void start();
  // Queues a reload named `trigger` ("rpc", "signal"); `done` gets its result. False, and `done`
  // is never called, when a request with this trigger is already queued or running, or after stop().
  // Under an approval policy a lower version than the served one is refused unless
  // `allow_rollback` (an operator's explicit request; never the watcher or a signal).
  bool post(const std::string& trigger, Done done = {}, bool allow_rollback = false);
  // Finishes the reload running now, drops the queued ones (their `done` gets null) and joins the
  // worker. Safe to call twice.
  void stop();

 private:
  struct Request {
    std::string trigger;
    Done done;
    bool allow_rollback = false;
  };
  void run();
  v1::ReloadResult reload(const std::string& trigger, bool allow_rollback);

  const std::string folder_;
  const int watch_interval_ms_;
  Decider& decider_;
  AuditLog& audit_;
  std::shared_ptr<EventLog> log_;
  const ApprovalPolicy policy_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Request> queue_;
  std::string running_;  // the trigger of the reload under way, empty when idle
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace triage
