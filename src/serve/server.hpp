#pragma once
// The gRPC triage server: TriageService over the callback API, the standard health service and
// server reflection, optional TLS and mutual TLS, every decision in the audit log before its reply.
#include <memory>
#include <string>

#include "serve/config.hpp"
#include "serve/event_log.hpp"
#include "triage/v1/triage.pb.h"

namespace triage {

class TriageServer {
 public:
  // Loads the rules, opens the audit log and starts listening. Null with `error` on failure
  // (broken rules, unusable audit log, address in use, unreadable certificates).
  static std::unique_ptr<TriageServer> start(const ServeConfig& config, std::shared_ptr<EventLog> log,
                                             std::string& error);
  ~TriageServer();

  // The port actually bound (useful with port 0).
  int port() const;
  // The plaintext health listener's port; 0 when --health-listen is off.
  int health_port() const;
  // Stops accepting calls, waits up to `drain_seconds` for calls in flight, then flushes and
  // closes the audit log. Safe to call twice.
  void shutdown();
  // Asks the reloader to re-read the rules folder; the candidate is swapped in only when it passes
  // every check. `trigger` names the cause in logs and results ("signal"). False when a reload
  // with this trigger is already waiting or running.
  bool request_reload(const std::string& trigger);

  struct State;

 private:
  explicit TriageServer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Runs `triage serve` until SIGTERM or SIGINT; returns the process exit code.
int run_server(const ServeConfig& config);

}  // namespace triage
