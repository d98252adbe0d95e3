#pragma once
// The server's standard health status: SERVING while the audit log works, NOT_SERVING while its
// writes fail and for good once shutdown begins. Thread-safe.
#include <memory>
#include <mutex>
#include <vector>

#include "serve/event_log.hpp"

namespace grpc {
class Server;
}

namespace triage {

// The service name health checks may ask for besides "" (both always report the same status).
inline constexpr const char* served_service_name = "triage.v1.TriageService";

class ServingHealth {
 public:
  explicit ServingHealth(std::shared_ptr<EventLog> log);

  // Reports through the health service of `server` (and of `health_only`, the plaintext health
  // listener, when not null) from now on, starting as SERVING (NOT_SERVING when `serving` is
  // false: a damaged audit log). Both must outlive this object's use (until stop()).
  void start(grpc::Server& server, grpc::Server* health_only = nullptr, bool serving = true);
  // Told after every audit write whether it worked; logs and reports a change.
  void audit_result(bool ok);
  // True while SERVING (started, the audit log works, not stopped).
  bool serving();
  // NOT_SERVING from now on; later audit results change nothing. False when already stopped.
  bool stop();

 private:
  std::shared_ptr<EventLog> log_;
  std::mutex mutex_;
  std::vector<grpc::Server*> servers_;
  bool serving_ = false;
  bool stopped_ = false;
};

}  // namespace triage
