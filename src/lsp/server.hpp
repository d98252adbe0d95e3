#pragma once
// `triage lsp`: a Language Server Protocol (3.17) server for rule authors, over JSON-RPC 2.0. It
// answers with the engine's own parser, checker, readability check, analysis, formatter and
// rule-test runner. Problems with a message are answered as JSON-RPC errors and the server reads
// on; it writes nothing but protocol to its output.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "analyze/analyze.hpp"
#include "lsp/features.hpp"
#include "lsp/workspace.hpp"

namespace triage::lsp {

struct ServerOptions {
  // Run the safety analysis (about a second on the shipped rules) after each change, on a worker
  // thread, and publish its findings when it ends. Off: syntax, check, readability and governance only.
  bool analysis = true;
};

// JSON-RPC error codes the server answers with.
namespace rpc_error {
inline constexpr int parse_error = -32700;
inline constexpr int invalid_request = -32600;
inline constexpr int method_not_found = -32601;
inline constexpr int invalid_params = -32602;
inline constexpr int internal_error = -32603;
inline constexpr int server_not_initialized = -32002;
inline constexpr int request_failed = -32803;
}  // namespace rpc_error

class Server {
 public:
  // `send` writes one message body (the caller frames it); it is called from the analysis worker
  // too, never from two threads at once.
  using Send = std::function<void(const std::string& body)>;

  explicit Server(Send send, ServerOptions options = {});
  ~Server();  // stops the analysis worker (waiting for an analysis under way)
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Handles one message body: answers requests, acts on notifications.
  void handle(const std::string& body);
  // Answers a frame whose header could not be read (a parse error with a null id).
  void bad_frame(const std::string& why);
  // True once `exit` has been received; then exit_code() is 0 after a `shutdown`, else 1.
  bool exited() const { return exited_; }
  int exit_code() const { return shutdown_ ? 0 : 1; }
  // Waits until no analysis is queued or running (tests and benchmarks).
  void wait_for_analysis();

 private:
  struct AnalysisJob {
    std::shared_ptr<const FolderSnapshot> snapshot;
    std::uint64_t generation = 0;
  };

  void send(const Json& message);
  void reply(const Json& id, Json result);
  void reply_error(const Json& id, int code, const std::string& message);
  void notify(const std::string& method, Json params);
  void dispatch(const std::string& method, const Json& id, bool request, const Json& params);

  Json initialize(const Json& params);
  // workspace/executeCommand: runs a lens' command (lenses.hpp), shows its message, returns its result.
  Json execute_command(const Json& params);
  void changed(const std::string& folder);
  void publish(const FolderSnapshot& snapshot, const AnalysisReport* report);
  Json case_diagnostics(const FolderSnapshot& snapshot, const Document& document) const;
  std::optional<Place> place(const Json& params, std::string* line_before = nullptr);
  void analysis_worker();

  Send send_;
  ServerOptions options_;
  bool initialized_ = false, shutdown_ = false, exited_ = false;
  bool utf16_ = true;

  std::mutex mutex_;  // the workspace and what was published; held while handling a message
  Workspace workspace_;
  std::map<std::string, std::uint64_t> generation_;             // folder -> changes so far
  std::map<std::string, std::set<std::string>> published_;      // folder -> URIs with diagnostics
  std::map<std::string, std::shared_ptr<const AnalysisReport>> reports_;  // ruleset hash -> analysis
  std::vector<std::string> report_order_;                       // oldest first, to bound reports_

  std::mutex send_mutex_;
  std::mutex jobs_mutex_;
  std::condition_variable jobs_changed_;
  std::map<std::string, AnalysisJob> jobs_;  // folder -> the latest job not yet started
  bool analysing_ = false, stopping_ = false;
  std::thread worker_;
};

// Reads framed messages from `in` until `exit` or the end of input, writing framed answers to `out`.
// Returns the process exit code (0 after shutdown then exit).
int run_server(std::istream& in, std::ostream& out, ServerOptions options = {});

}  // namespace triage::lsp
