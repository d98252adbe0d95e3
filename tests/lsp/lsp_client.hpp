#pragma once
// A Language Server Protocol client for the tests: runs `triage lsp` as a child process on pipes
// and speaks framed JSON-RPC to it, as an editor would.
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace triage::test {

using Json = nlohmann::json;

class LspClient {
 public:
  // Starts `triage lsp` with `args`.
  explicit LspClient(std::vector<std::string> args = {});
  ~LspClient();  // kills the child if it is still running
  LspClient(const LspClient&) = delete;
  LspClient& operator=(const LspClient&) = delete;

  // Closes the child's standard input (its end of input).
  void close_input();
  // Writes bytes as they are (for broken frames).
  void write_raw(const std::string& bytes);
  // Writes one message body with its Content-Length header.
  void send_body(const std::string& body);
  void send(const Json& message) { send_body(message.dump()); }
  // Sends a request with a fresh id and returns the response to it (other messages that come first
  // are kept for wait_for); fails the test after `timeout`.
  Json request(const std::string& method, const Json& params, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  void notify(const std::string& method, const Json& params);
  // The next message, or nothing after `timeout` or at the end of the child's output.
  std::optional<Json> receive(std::chrono::milliseconds timeout);
  // The first message (kept or new) for which `match` is true; fails the test after `timeout`.
  Json wait_for(const std::function<bool(const Json&)>& match, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // initialize + initialized.
  Json initialize(const Json& capabilities = Json::object());
  // The child's exit status, waiting up to `timeout`; -1 when it has not exited.
  int wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Every byte the child wrote to stdout so far that was not a well-framed message.
  const std::string& stray_output() const { return stray_; }

 private:
  bool fill(std::chrono::steady_clock::time_point deadline);

  int pid_ = -1, to_child_ = -1, from_child_ = -1;
  int next_id_ = 1000;
  std::string buffer_, stray_;
  std::vector<Json> kept_;
};

// A file:// URI for a local path.
std::string file_uri(const std::string& path);

}  // namespace triage::test
