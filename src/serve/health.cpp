#include "serve/health.hpp"

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

namespace triage {

ServingHealth::ServingHealth(std::shared_ptr<EventLog> log) : log_(std::move(log)) {}

void ServingHealth::start(grpc::Server& server, bool serving) {
  std::lock_guard<std::mutex> lock(mutex_);
  server_ = &server;
  server_->GetHealthCheckService()->SetServingStatus(serving);
  serving_ = serving;
}

void ServingHealth::audit_result(bool ok) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopped_ || ok == serving_ || !server_) return;
  serving_ = ok;
  server_->GetHealthCheckService()->SetServingStatus(ok);
  log_->warn("health", {{"status", ok ? "SERVING" : "NOT_SERVING"}, {"why", "audit log"}});
}

bool ServingHealth::serving() {
  std::lock_guard<std::mutex> lock(mutex_);
  return serving_ && !stopped_;
}

bool ServingHealth::stop() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopped_) return false;
  stopped_ = true;
  if (server_) server_->GetHealthCheckService()->SetServingStatus(false);
  return true;
}

}  // namespace triage
