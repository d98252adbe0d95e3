#include "serve/health.hpp"

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

namespace triage {

ServingHealth::ServingHealth(std::shared_ptr<EventLog> log) : log_(std::move(log)) {}

void ServingHealth::start(grpc::Server& server, grpc::Server* health_only, bool serving) {
  std::lock_guard<std::mutex> lock(mutex_);
  servers_ = {&server};
  if (health_only) servers_.push_back(health_only);
  for (grpc::Server* each : servers_) {
    // By name as well as "": later SetServingStatus(bool) calls update every registered name.
    each->GetHealthCheckService()->SetServingStatus(served_service_name, serving);
    each->GetHealthCheckService()->SetServingStatus(serving);
  }
  serving_ = serving;
}

void ServingHealth::audit_result(bool ok) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopped_ || ok == serving_ || servers_.empty()) return;
  serving_ = ok;
  for (grpc::Server* each : servers_) each->GetHealthCheckService()->SetServingStatus(ok);
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
  for (grpc::Server* each : servers_) each->GetHealthCheckService()->SetServingStatus(false);
  return true;
}

}  // namespace triage
