#include "serve/reloader.hpp"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <filesystem>

#include "api/decision_proto.hpp"
#include "diag/codes.hpp"
#include "api/diagnostic_proto.hpp"
#include "model/version.hpp"
#include "ruleset/loader.hpp"

namespace triage {
namespace {

// What identifies the folder's rule files for change detection: names, sizes and mtimes.
std::string folder_signature(const std::string& folder) {
  std::error_code error;
  std::string signature;
  for (const auto& path : rule_file_paths(folder, error)) {
    std::error_code ignored;
    auto size = std::filesystem::file_size(path, ignored);
    auto time = std::filesystem::last_write_time(path, ignored).time_since_epoch().count();
    signature += path.filename().string() + ":" + std::to_string(size) + ":" + std::to_string(time) + "\n";
  }
  // Re-signing (a new ruleset.sig beside unchanged rules) is a change too.
  std::error_code ignored;
  std::filesystem::path sig = std::filesystem::path(folder) / signature_file_name;
  if (std::filesystem::exists(sig, ignored)) {
    signature += std::string(signature_file_name) + ":" + std::to_string(std::filesystem::file_size(sig, ignored)) +
                 ":" + std::to_string(std::filesystem::last_write_time(sig, ignored).time_since_epoch().count()) + "\n";
  }
  return signature;
}

google::protobuf::Timestamp now_timestamp() {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(now_micros());
}

}  // namespace

std::shared_ptr<ServedRuleset> make_served(const OpenedRuleset& opened, const std::string& folder) {
  auto served = std::make_shared<ServedRuleset>();
  served->ruleset = opened.ruleset;
  const model::Ruleset& model = *opened.ruleset->model;
  served->info.set_ruleset_hash(model.hash);
  for (const auto& file : model.files) {
    auto* out = served->info.add_files();
    out->set_name(file.name);
    out->set_size_bytes(file.size);
  }
  *served->info.mutable_loaded_at() = now_timestamp();
  served->info.set_source(folder);
  served->info.set_fact_count(static_cast<std::uint32_t>(model.facts.size()));
  served->info.set_technique_count(static_cast<std::uint32_t>(model.techniques.size()));
  served->info.set_red_flag_count(static_cast<std::uint32_t>(model.red_flags.size()));
  served->info.set_rule_count(static_cast<std::uint32_t>(model.rules.size()));
  served->questionnaire = to_questionnaire(*opened.ruleset);
  const auto& header = model.header;
  served->info.set_title(header.title);
  served->info.set_version(header.version);
  served->info.set_status(header.status);
  served->info.set_approved_by(header.approved_by);
  served->info.set_approver_role(header.approver_role);
  served->info.set_approved_on(header.approved_on);
  served->info.set_review_due(header.review_due);
  served->info.set_effective_from(header.effective_from);
  served->info.set_effective_until(header.effective_until);
  served->info.set_source_count(static_cast<std::uint32_t>(model.sources.size()));
  served->info.set_hazard_count(static_cast<std::uint32_t>(model.hazards.size()));
  const Verification& signature = opened.approval.signature;
  if (signature.ok) {
    served->info.set_signed_by(signature.signer);
    served->info.set_signing_key(signature.key_id);
  }
  return served;
}

bool store_opened(AuditLog& audit, const OpenedRuleset& opened, std::string& error) {
  const model::Ruleset& model = *opened.ruleset->model;
  if (!audit.store_ruleset(model.hash, opened.files(), error)) return false;
  const Verification& signature = opened.approval.signature;
  return !signature.ok || audit.store_ruleset_signature(model.hash, signed_statement(model), signature.key_id,
                                                        signature.signature, signature.signer, error);
}

Reloader::Reloader(std::string folder, int watch_interval_ms, Decider& decider, AuditLog& audit,
                   std::shared_ptr<EventLog> log, ApprovalPolicy policy)
    : folder_(std::move(folder)),
      watch_interval_ms_(watch_interval_ms),
      decider_(decider),
      audit_(audit),
      log_(std::move(log)),
      policy_(std::move(policy)) {}

Reloader::~Reloader() { stop(); }

void Reloader::start() { worker_ = std::thread([this] { run(); }); }

bool Reloader::post(const std::string& trigger, Done done, bool allow_rollback) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || running_ == trigger) return false;
    for (const auto& queued : queue_) {
      if (queued.trigger == trigger) return false;
    }
    queue_.push_back({trigger, std::move(done), allow_rollback});
  }
  wake_.notify_all();
  return true;
}

void Reloader::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
  // Requests posted before start() (or with no worker) are dropped here.
  std::deque<Request> dropped;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    dropped.swap(queue_);
  }
  for (auto& request : dropped) {
    if (request.done) request.done(nullptr);
  }
}

void Reloader::run() {
  std::string last = watch_interval_ms_ > 0 ? folder_signature(folder_) : std::string();
  std::string changed;  // a signature seen once, reloaded when the next look finds it again
  const auto interval = std::chrono::milliseconds(watch_interval_ms_);
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    auto ready = [&] { return stopping_ || !queue_.empty(); };
    bool woken = watch_interval_ms_ > 0 ? wake_.wait_for(lock, interval, ready) : (wake_.wait(lock, ready), true);
    if (stopping_) break;
    std::string trigger;
    Done done;
    bool allow_rollback = false;
    if (woken) {
      trigger = std::move(queue_.front().trigger);
      done = std::move(queue_.front().done);
      allow_rollback = queue_.front().allow_rollback;
      queue_.pop_front();
    } else {
      // Editors write files in steps: reload once the folder has stopped changing for one interval.
      lock.unlock();
      std::string now = folder_signature(folder_);
      lock.lock();
      if (now == last || now != changed) {
        changed = now == last ? std::string() : now;
        continue;
      }
      last = now;
      changed.clear();
      trigger = "watch";
    }
    running_ = trigger;
    lock.unlock();
    v1::ReloadResult result = reload(trigger, allow_rollback);
    if (done) done(&result);
    lock.lock();
    running_.clear();
  }
}

v1::ReloadResult Reloader::reload(const std::string& trigger, bool allow_rollback) {
  auto current = decider_.served();
  v1::ReloadResult result;
  result.set_trigger(trigger);
  result.set_previous_hash(current->ruleset->model->hash);
  result.set_ruleset_hash(current->ruleset->model->hash);
  *result.mutable_attempted_at() = now_timestamp();
  auto refuse = [&](const Diagnostics& diagnostics) {
    for (const auto& d : diagnostics) {
      to_proto(d, *result.add_diagnostics());
      log_->error("reload_diagnostic", {{"code", d.code},
                                        {"where", d.location.file + ":" + std::to_string(d.location.line) + ":" +
                                                      std::to_string(d.location.column)},
                                        {"message", d.message}});
    }
    log_->error("reload_refused", {{"trigger", trigger}, {"serving", current->ruleset->model->hash},
                                   {"candidate", result.candidate_hash()}});
    if (ServiceMetrics* metrics = decider_.metrics()) metrics->reloaded(false);
    // The old ruleset keeps serving; GetRuleset shows why the candidate was refused.
    auto next = std::make_shared<ServedRuleset>(*current);
    *next->info.mutable_last_reload() = result;
    decider_.serve(std::move(next));
    return result;
  };
  OpenedRuleset candidate;
  std::string error;
  if (!open_ruleset(folder_, candidate, error, nullptr, policy_)) {
    return refuse({{std::string(code::rules_folder), Severity::error, {folder_, 0, 0}, error, {}}});
  }
  if (candidate.ruleset) result.set_candidate_hash(candidate.ruleset->model->hash);
  // The full check: a ruleset that does not load, that the safety analysis refutes or that the
  // approval policy refuses never serves.
  if (!candidate.servable()) return refuse(candidate.refusals());
  // Approval proves who signed a release, not that it is the newest: an older signed release must
  // not come back unless an operator asks for it.
  const std::string& served_version = current->ruleset->model->header.version;
  const std::string& candidate_version = candidate.ruleset->model->header.version;
  auto order = model::compare_versions(candidate_version, served_version);
  if (policy_.require_approved && order && *order < 0) {
    if (!allow_rollback) {
      return refuse({{std::string(code::rollback), Severity::error, {folder_, 0, 0},
                      "version " + candidate_version + " is older than version " + served_version +
                          " that is served: a rollback",
                      "to roll back on purpose: `triage reload --allow-rollback` (logged)"}});
    }
    result.set_rolled_back(true);
    log_->warn("reload_rollback", {{"trigger", trigger}, {"from_version", served_version},
                                   {"to_version", candidate_version}, {"candidate", candidate.ruleset->model->hash}});
  }
  const std::string& hash = candidate.ruleset->model->hash;
  // Stored before it serves, so every decision made with it can be replayed.
  if (!store_opened(audit_, candidate, error)) {
    return refuse({{std::string(code::audit_store), Severity::error, {folder_, 0, 0}, error,
                    "the audit log must hold a ruleset before it serves"}});
  }
  result.set_reloaded(true);
  result.set_ruleset_hash(hash);
  auto next = make_served(candidate, folder_);
  *next->info.mutable_last_reload() = result;
  decider_.serve(std::move(next));
  if (ServiceMetrics* metrics = decider_.metrics()) metrics->reloaded(true);
  log_->info("reloaded", {{"trigger", trigger}, {"previous", result.previous_hash()}, {"ruleset_hash", hash}});
  return result;
}

}  // namespace triage
