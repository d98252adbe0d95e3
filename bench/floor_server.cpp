// The floor: a minimal gRPC server answering TriageService.Evaluate with prebuilt replies, the
// Decisions the real service gives for the example intakes (same bytes on the wire but for the
// id and time), in turn. It reads nothing of the request, decides nothing and logs nothing, so
// `triage loadgen` against it measures what gRPC itself costs per call on this machine: the
// ceiling for the real service (tools/bench.sh runs both in one run).
//
// Usage: triage_floor --listen ADDR [--rules DIR] [--intakes DIR]; prints "serving" on stderr when
// ready and stops on SIGTERM or SIGINT.
#include <absl/synchronization/mutex.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "api/decision_proto.hpp"
#include "eval/evaluator.hpp"
#include "intake/intake.hpp"
#include "ruleset/loader.hpp"
#include "serve/arena_allocator.hpp"
#include "triage/v1/triage.grpc.pb.h"

namespace {

class FloorService final : public triage::v1::TriageService::CallbackService {
 public:
  explicit FloorService(std::vector<triage::v1::Decision> replies) : replies_(std::move(replies)) {
    SetMessageAllocatorFor_Evaluate(&allocator_);  // as the real service does
  }

  grpc::ServerUnaryReactor* Evaluate(grpc::CallbackServerContext* context, const triage::v1::EvaluateRequest*,
                                     triage::v1::Decision* response) override {
    *response = replies_[next_.fetch_add(1, std::memory_order_relaxed) % replies_.size()];
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  std::vector<triage::v1::Decision> replies_;
  std::atomic<std::size_t> next_{0};
  triage::EvaluateArenaAllocator allocator_;
};

std::string option(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen = option(argc, argv, "--listen", "");
  std::string rules = option(argc, argv, "--rules", "rules");
  std::string intakes = option(argc, argv, "--intakes", "rules/examples");
  if (listen.empty()) {
    std::cerr << "usage: triage_floor --listen ADDR [--rules DIR] [--intakes DIR]\n";
    return 2;
  }
  auto loaded = triage::load_ruleset(rules);
  if (!loaded.ruleset) {
    std::cerr << "triage_floor: the rules in " << rules << " do not load\n";
    return 1;
  }
  // The replies in the order `triage loadgen` sends the intakes (sorted file names).
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(intakes)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  std::vector<triage::v1::Decision> replies;
  for (const auto& file : files) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    std::vector<triage::RawAnswer> raw;
    std::string error;
    if (!triage::parse_intake_json(text.str(), raw, error)) continue;
    auto intake = triage::validate_answers(*loaded.ruleset, raw);
    if (!intake.errors.empty()) continue;
    replies.push_back(triage::to_decision_proto(*loaded.ruleset, triage::evaluate(*loaded.ruleset, intake.answers),
                                                triage::new_decision_id(), triage::now_micros(), "request-id"));
  }
  if (replies.empty()) {
    std::cerr << "triage_floor: no usable *.json intakes in " << intakes << "\n";
    return 1;
  }
  std::size_t bytes = 0;
  for (const auto& reply : replies) bytes += reply.ByteSizeLong();

  // SIGTERM/SIGINT are blocked in every thread (gRPC's too) and awaited here.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  FloorService service(std::move(replies));
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);  // as `triage serve` does
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::cerr << "triage_floor: cannot listen on " << listen << "\n";
    return 1;
  }
  std::cerr << "triage_floor: serving on port " << port << ", " << files.size() << " replies of "
            << bytes / std::max<std::size_t>(files.size(), 1) << " bytes on average\n";
  int signal = 0;
  sigwait(&stop, &signal);
  server->Shutdown();
  return 0;
}
