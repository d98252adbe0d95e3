// The HTTP floor: a minimal Boost.Beast HTTP/1.1 server answering POST /v1/evaluate and
// POST /v1/evaluate-batch with prebuilt replies: the JSON bytes `triage serve --http-listen` gives
// for the example intakes (decision_to_json / batch_to_json of the real Decisions, the same
// headers), in turn. Like bench/floor_server.cpp for gRPC it decides nothing and logs nothing, so
// `wrk` against it measures what HTTP/1.1 and Beast cost per call on this machine: the ceiling for
// the real HTTP listener. Same shape as the real listener: keep-alive, one strand per connection,
// 2 I/O threads (the service's default), body read whole as a string.
//
// A batch reply has as many decisions as the request has intakes, counted as occurrences of
// `"answers"` in the body (a scan, not a parse: the floor reads nothing else of a request).
//
// Usage: triage_http_floor --listen ADDR [--rules DIR] [--intakes DIR] [--threads N]; prints
// "serving" on stderr when ready and stops on SIGTERM or SIGINT.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "api/decision_json.hpp"
#include "api/decision_proto.hpp"
#include "eval/evaluator.hpp"
#include "intake/intake.hpp"
#include "ruleset/loader.hpp"
#include "util/traceparent.hpp"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// The prebuilt replies: single decisions, and batches built from them on first use per size.
struct Replies {
  std::vector<triage::v1::Decision> decisions;
  std::vector<std::string> single;                 // decision_to_json + "\n", as the service sends
  std::vector<std::shared_ptr<const std::string>> batches;  // by size, 0..256
  std::atomic<std::size_t> next{0};

  const std::string& one() { return single[next.fetch_add(1, std::memory_order_relaxed) % single.size()]; }
  // Built once per size before serving (sizes the benchmark asks for), so no lock is needed.
  void prepare_batch(std::size_t size) {
    if (size >= batches.size() || batches[size]) return;
    triage::v1::EvaluateBatchResponse response;
    for (std::size_t i = 0; i < size; ++i) *response.add_results()->mutable_decision() = decisions[i % decisions.size()];
    batches[size] = std::make_shared<const std::string>(triage::batch_to_json(response) + "\n");
  }
};

// The headers the real listener adds to every reply (routes.cpp add_common_headers, no CORS).
void common_headers(http::response<http::string_body>& response) {
  response.set("Content-Security-Policy",
               "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
               "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
  response.set("X-Content-Type-Options", "nosniff");
  response.set("Referrer-Policy", "no-referrer");
  response.set("X-Frame-Options", "DENY");
  response.set("Cache-Control", "no-store");
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Replies& replies) : stream_(std::move(socket)), replies_(replies) {}
  void start() { read(); }

 private:
  void read() {
    request_ = {};
    http::async_read(stream_, buffer_, request_, [self = shared_from_this()](beast::error_code error, std::size_t) {
      if (error) return self->close();
      self->answer();
    });
  }

  void answer() {
    response_ = {};
    response_.version(request_.version());
    response_.keep_alive(request_.keep_alive());
    common_headers(response_);
    // A new trace per call, as the service makes for a caller that sent none.
    response_.set("traceparent", triage::traceparent(triage::continue_trace({})));
    if (request_.target() == "/v1/evaluate-batch") {
      const std::string& body = request_.body();
      std::size_t intakes = 0;
      for (std::size_t at = body.find("\"answers\""); at != std::string::npos; at = body.find("\"answers\"", at + 9)) {
        ++intakes;
      }
      auto batch = intakes < replies_.batches.size() ? replies_.batches[intakes] : nullptr;
      if (!batch) {
        response_.result(http::status::not_implemented);
        response_.body() = "the floor has no batch of " + std::to_string(intakes) + " (see --batches)\n";
      } else {
        response_.result(http::status::ok);
        response_.set(http::field::content_type, "application/json");
        response_.body() = *batch;
      }
    } else {
      response_.result(http::status::ok);
      response_.set(http::field::content_type, "application/json");
      response_.body() = replies_.one();
    }
    response_.prepare_payload();
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code error, std::size_t) {
      if (error || !self->response_.keep_alive()) return self->close();
      self->read();
    });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  Replies& replies_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& io, tcp::acceptor acceptor, Replies& replies)
      : io_(io), acceptor_(std::move(acceptor)), replies_(replies) {}
  void accept() {
    acceptor_.async_accept(net::make_strand(io_), [self = shared_from_this()](beast::error_code error, tcp::socket socket) {
      if (error) return;  // the acceptor was closed: stopping
      socket.set_option(tcp::no_delay(true));
      std::make_shared<Session>(std::move(socket), self->replies_)->start();
      self->accept();
    });
  }
  void close() {
    beast::error_code ignored;
    acceptor_.close(ignored);
  }

 private:
  net::io_context& io_;
  tcp::acceptor acceptor_;
  Replies& replies_;
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
  std::string batch_sizes = option(argc, argv, "--batches", "10,100");
  int threads = std::max(1, std::atoi(option(argc, argv, "--threads", "2").c_str()));
  auto colon = listen.rfind(':');
  if (listen.empty() || colon == std::string::npos) {
    std::cerr << "usage: triage_http_floor --listen HOST:PORT [--rules DIR] [--intakes DIR] [--batches 10,100] "
                 "[--threads N]\n";
    return 2;
  }
  auto loaded = triage::load_ruleset(rules);
  if (!loaded.ruleset) {
    std::cerr << "triage_http_floor: the rules in " << rules << " do not load\n";
    return 1;
  }
  // The replies in the order the load scripts send the intakes (sorted file names).
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(intakes)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  Replies replies;
  for (const auto& file : files) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    std::vector<triage::RawAnswer> raw;
    std::string error;
    if (!triage::parse_intake_json(text.str(), raw, error)) continue;
    auto intake = triage::validate_answers(*loaded.ruleset, raw);
    if (!intake.errors.empty()) continue;
    replies.decisions.push_back(triage::to_decision_proto(*loaded.ruleset,
                                                          triage::evaluate(*loaded.ruleset, intake.answers),
                                                          triage::new_decision_id(), triage::now_micros(), ""));
    replies.single.push_back(triage::decision_to_json(replies.decisions.back()) + "\n");
  }
  if (replies.single.empty()) {
    std::cerr << "triage_http_floor: no usable *.json intakes in " << intakes << "\n";
    return 1;
  }
  replies.batches.resize(257);
  std::stringstream sizes(batch_sizes);
  for (std::string size; std::getline(sizes, size, ',');) {
    if (!size.empty()) replies.prepare_batch(static_cast<std::size_t>(std::atoi(size.c_str())));
  }

  // SIGTERM/SIGINT are blocked in every thread and awaited here.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  net::io_context io(threads);
  beast::error_code error;
  tcp::endpoint endpoint(net::ip::make_address(listen.substr(0, colon), error),
                         static_cast<unsigned short>(std::atoi(listen.substr(colon + 1).c_str())));
  tcp::acceptor acceptor(io);
  if (!error) acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor.set_option(net::socket_base::reuse_address(true), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(net::socket_base::max_listen_connections, error);
  if (error) {
    std::cerr << "triage_http_floor: cannot listen on " << listen << ": " << error.message() << "\n";
    return 1;
  }
  int port = acceptor.local_endpoint().port();
  auto listener = std::make_shared<Listener>(io, std::move(acceptor), replies);
  listener->accept();
  // The I/O threads, owned and joined here.
  std::vector<std::thread> workers;
  for (int i = 0; i < threads; ++i) workers.emplace_back([&io] { io.run(); });
  std::size_t bytes = 0;
  for (const auto& reply : replies.single) bytes += reply.size();
  std::cerr << "triage_http_floor: serving on port " << port << ", " << replies.single.size() << " replies of "
            << bytes / replies.single.size() << " bytes on average\n";
  int signal = 0;
  sigwait(&stop, &signal);
  net::post(io, [listener] { listener->close(); });
  io.stop();
  for (auto& worker : workers) worker.join();
  return 0;
}
