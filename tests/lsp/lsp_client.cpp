#include "lsp/lsp_client.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

namespace triage::test {

LspClient::LspClient(std::vector<std::string> args) {
  int in[2], out[2];
  REQUIRE(pipe(in) == 0);
  REQUIRE(pipe(out) == 0);
  pid_ = fork();
  REQUIRE(pid_ >= 0);
  if (pid_ == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    close(in[1]);
    close(out[0]);
    std::vector<std::string> argv_strings{TRIAGE_BINARY, "lsp"};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_strings) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  to_child_ = in[1];
  from_child_ = out[0];
  signal(SIGPIPE, SIG_IGN);  // a child that exited must fail a write, not kill the tests
}

LspClient::~LspClient() {
  if (to_child_ >= 0) close(to_child_);
  if (from_child_ >= 0) close(from_child_);
  if (pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

void LspClient::close_input() {
  if (to_child_ >= 0) close(to_child_);
  to_child_ = -1;
}

void LspClient::write_raw(const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(to_child_, bytes.data() + done, bytes.size() - done);
    REQUIRE(n > 0);
    done += static_cast<std::size_t>(n);
  }
}

void LspClient::send_body(const std::string& body) {
  write_raw("Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
}

void LspClient::notify(const std::string& method, const Json& params) {
  send({{"jsonrpc", "2.0"}, {"method", method}, {"params", params}});
}

bool LspClient::fill(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
  if (left < 0) left = 0;
  pollfd p{from_child_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(left)) <= 0) return false;
  char chunk[65536];
  ssize_t n = ::read(from_child_, chunk, sizeof chunk);
  if (n <= 0) return false;
  buffer_.append(chunk, static_cast<std::size_t>(n));
  return true;
}

std::optional<Json> LspClient::receive(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    std::size_t end = buffer_.find("\r\n\r\n");
    if (end != std::string::npos) {
      std::string header = buffer_.substr(0, end);
      const std::string name = "Content-Length: ";
      if (header.compare(0, name.size(), name) != 0) {
        // Not a frame: something other than protocol reached stdout.
        stray_ += buffer_;
        buffer_.clear();
        continue;
      }
      std::size_t length = std::stoul(header.substr(name.size()));
      if (buffer_.size() >= end + 4 + length) {
        std::string body = buffer_.substr(end + 4, length);
        buffer_.erase(0, end + 4 + length);
        return Json::parse(body);
      }
    }
    if (!fill(deadline)) return std::nullopt;
  }
}

Json LspClient::wait_for(const std::function<bool(const Json&)>& match, std::chrono::milliseconds timeout) {
  for (auto it = kept_.begin(); it != kept_.end(); ++it) {
    if (match(*it)) {
      Json found = *it;
      kept_.erase(it);
      return found;
    }
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto message = receive(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
    if (!message) break;
    if (match(*message)) return *message;
    kept_.push_back(std::move(*message));
  }
  FAIL("no matching message from `triage lsp` in time");
  return nullptr;
}

Json LspClient::request(const std::string& method, const Json& params, std::chrono::milliseconds timeout) {
  int id = next_id_++;
  send({{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}});
  return wait_for([&](const Json& m) { return m.contains("id") && m["id"] == id && !m.contains("method"); }, timeout);
}

Json LspClient::initialize(const Json& capabilities) {
  Json answer = request("initialize", {{"processId", nullptr}, {"rootUri", nullptr}, {"capabilities", capabilities}});
  notify("initialized", Json::object());
  return answer;
}

int LspClient::wait_exit(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    usleep(10000);
  }
  return -1;
}

std::string file_uri(const std::string& path) { return "file://" + path; }

}  // namespace triage::test
