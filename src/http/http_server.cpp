#include "http/http_server.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>

#include "http/fhir_service.hpp"
#include "http/routes.hpp"
#include "util/json_text.hpp"
#include "util/traceparent.hpp"

namespace triage {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

namespace {

class SessionBase;

// What every connection shares. Outlives the io_context (declared before it in State).
struct Shared {
  HttpOptions options;
  std::shared_ptr<EventLog> log;
  std::optional<http_api::Router> router;
  std::optional<ssl::context> tls;
  std::atomic<bool> draining{false};
  std::mutex mutex;  // guards sessions and connections
  std::condition_variable all_closed;
  std::map<std::uint64_t, std::weak_ptr<SessionBase>> sessions;
  std::uint64_t next_id = 0;
  int connections = 0;  // sessions that count against the cap
  std::map<std::string, int> per_address;  // counted sessions by client address
};

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Runs on the session's strand: closes the connection now when it is idle, else after the
  // reply in flight.
  virtual void drain() = 0;
  // Runs on the session's strand: closes the connection when it is still waiting for a request
  // (it was chosen to make room at the connection cap).
  virtual void evict() = 0;
  virtual net::any_io_executor executor() = 0;
  // True while waiting for the first byte of a request: the connection may be evicted. Claimed
  // with exchange(false) under Shared::mutex, so one connection is evicted once.
  std::atomic<bool> idle{false};
};

// The client's IP address, the key of the per-client cap.
std::string peer_address(const tcp::socket& socket) {
  boost::system::error_code error;
  auto endpoint = socket.remote_endpoint(error);
  return error ? std::string("unknown") : endpoint.address().to_string();
}

std::string peer_name(const tcp::socket& socket) {
  boost::system::error_code error;
  auto endpoint = socket.remote_endpoint(error);
  if (error) return "peer:unknown";
  // As gRPC names peers, so the audit log reads the same whichever transport was used.
  auto address = endpoint.address();
  if (address.is_v4()) return "peer:ipv4:" + address.to_string() + ":" + std::to_string(endpoint.port());
  return "peer:ipv6:[" + address.to_string() + "]:" + std::to_string(endpoint.port());
}

// The client certificate's subject as gRPC writes it (RFC 2253), or empty.
std::string certificate_subject(SSL* ssl_handle) {
  X509* cert = SSL_get1_peer_certificate(ssl_handle);
  if (cert == nullptr) return {};
  std::string subject;
  if (BIO* bio = BIO_new(BIO_s_mem())) {
    if (X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
      char* data = nullptr;
      long size = BIO_get_mem_data(bio, &data);
      if (size > 0) subject.assign(data, static_cast<std::size_t>(size));
    }
    BIO_free(bio);
  }
  X509_free(cert);
  return subject;
}

template <class Stream>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool tls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  // `counted`: false for a connection over a cap, which is told `refusal` with 503 and closed.
  template <class... Args>
  Session(Shared& shared, bool counted, std::string refusal, std::string address, tcp::socket&& socket,
          Args&&... args)
      : shared_(shared), counted_(counted), refusal_(std::move(refusal)), address_(std::move(address)),
        peer_(peer_name(socket)),
        stream_(std::move(socket), std::forward<Args>(args)...),
        read_timer_(stream_.get_executor()) {}

  ~Session() override {
    std::lock_guard<std::mutex> lock(shared_.mutex);
    shared_.sessions.erase(id_);
    if (counted_) {
      --shared_.connections;
      if (auto at = shared_.per_address.find(address_); at != shared_.per_address.end() && --at->second <= 0) {
        shared_.per_address.erase(at);
      }
    }
    shared_.all_closed.notify_all();
  }

  void start(std::uint64_t id) {
    id_ = id;
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->begin(); });
  }

  void drain() override {
    if (!busy_) close();
  }
  void evict() override {
    if (busy_ || closed_) return;  // a request began after it was chosen: it is answered
    shared_.log->info("http_idle_evicted", {{"client", peer_}});
    close();
  }
  net::any_io_executor executor() override { return stream_.get_executor(); }

 private:
  beast::tcp_stream& tcp_layer() { return beast::get_lowest_layer(stream_); }

  void begin() {
    if constexpr (tls) {
      tcp_layer().expires_after(std::chrono::milliseconds(shared_.options.read_timeout_ms));
      stream_.async_handshake(ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code error) {
        if (error) return self->close();
        std::string subject = certificate_subject(self->stream_.native_handle());
        if (!subject.empty()) self->certificate_ = "cert:" + subject;
        self->after_handshake();
      });
    } else {
      after_handshake();
    }
  }

  void after_handshake() {
    if (!counted_) {
      reply_now(http_api::error_reply(503, "unavailable", refusal_), false, 11);
      response_.set(http::field::retry_after, "1");
      return write();
    }
    wait_for_request();
  }

  // Idle: waits (up to the idle timeout) for the first bytes of the next request.
  void wait_for_request() {
    if (shared_.draining) return close();
    if (buffer_.size() > 0) return read_request();
    tcp_layer().expires_after(std::chrono::milliseconds(shared_.options.idle_timeout_ms));
    idle = true;
    stream_.async_read_some(buffer_.prepare(4096), [self = this->shared_from_this()](beast::error_code error,
                                                                                     std::size_t bytes) {
      self->idle = false;
      if (error || self->closed_) return self->close();  // the client left, the idle timeout passed, evicted or draining
      self->buffer_.commit(bytes);
      self->read_request();
    });
  }

  // A request has started: all of it must arrive within the read timeout.
  void read_request() {
    started_ = std::chrono::steady_clock::now();
    route_ = ServiceMetrics::http_route("other");
    method_.clear();
    trace_ = {};
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(shared_.options.max_header_bytes));
    parser_->body_limit(shared_.options.max_body_bytes);
    busy_ = true;
    // The read timeout cancels the read, so the client can still be told 408; the stream's own
    // timeout (which closes the socket) is only the backstop.
    auto timeout = std::chrono::milliseconds(shared_.options.read_timeout_ms);
    tcp_layer().expires_after(timeout + std::chrono::seconds(2));
    read_timer_.expires_after(timeout);
    read_timer_.async_wait([self = this->shared_from_this()](beast::error_code error) {
      if (error) return;  // the request arrived in time
      self->read_timed_out_ = true;
      if constexpr (tls) {
        // A cancelled TLS read leaves the TLS state mid-record, so the 408 is written beside the
        // pending read (TLS allows one read and one write at once) and the socket is then closed.
        self->hard_close_ = true;
        self->reply_now(http_api::error_reply(408, "deadline_exceeded", "the request did not arrive in time"), false);
        self->write();
      } else {
        self->tcp_layer().cancel();
      }
    });
    http::async_read(stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code error, std::size_t) {
      self->read_timer_.cancel();
      self->on_read(error);
    });
  }

  void on_read(beast::error_code error) {
    bool timed_out = std::exchange(read_timed_out_, false);
    if constexpr (tls) {
      if (timed_out) return;  // the 408 is being written; the socket closes after it
    }
    if (error == http::error::end_of_stream || (error == net::error::operation_aborted && !timed_out)) return close();
    if (error) {
      if (timed_out) {
        reply_now(http_api::error_reply(408, "deadline_exceeded", "the request did not arrive in time"), false);
      } else if (error == beast::error::timeout) {
        return close();  // the backstop: the stream has closed the socket
      } else if (error == http::error::body_limit) {
        reply_now(http_api::error_reply(413, "resource_exhausted",
                                        "the request body is over " + std::to_string(shared_.options.max_body_bytes) +
                                            " bytes"),
                  false);
      } else if (error == http::error::header_limit) {
        reply_now(http_api::error_reply(431, "resource_exhausted",
                                        "the request headers are over " +
                                            std::to_string(shared_.options.max_header_bytes) + " bytes"),
                  false);
      } else {
        reply_now(http_api::error_reply(400, "invalid_argument", "malformed HTTP request: " + error.message()), false);
      }
      return write();
    }
    auto& request = parser_->get();
    keep_alive_ = request.keep_alive();
    version_ = request.version();
    method_ = std::string(request.method_string());
    auto target = request.target();
    auto header = request["traceparent"];
    auto state = request["tracestate"];
    route_ = ServiceMetrics::http_route(std::string_view(target.data(), target.size()));
    trace_ = continue_trace(std::string_view(header.data(), header.size()), std::string_view(state.data(), state.size()));
    if (shared_.options.metrics_only) {
      if (route_ == ServiceMetrics::http_route("/metrics") && shared_.options.exposition) {
        return respond(http_api::metrics_reply(method_, shared_.options.exposition));
      }
      return respond(http_api::error_reply(404, "not_found", "this listener serves GET /metrics only"));
    }
    std::string origin(request[http::field::origin]);
    origin_ = origin;
    const auto& options = shared_.options;
    if (request.method() == http::verb::options && http_api::cors_allowed(origin, options.cors_origin)) {
      http_api::Reply preflight;
      preflight.status = 204;
      preflight.headers = {{"Access-Control-Allow-Methods", "GET, POST"},
                           {"Access-Control-Allow-Headers",
                            "Content-Type, X-Client-Id, Connect-Protocol-Version, Connect-Timeout-Ms, Authorization"},
                           {"Access-Control-Max-Age", "600"}};
      return respond(std::move(preflight));
    }
    http_api::Request call;
    call.method = std::string(request.method_string());
    call.target = std::string(request.target());
    call.content_type = std::string(request[http::field::content_type]);
    call.connect_timeout = std::string(request["Connect-Timeout-Ms"]);
    call.content_encoding = std::string(request[http::field::content_encoding]);
    call.authorization = std::string(request[http::field::authorization]);
    call.trace_id = trace_.trace_id;
    call.render_later = true;  // a decision's JSON is made in respond(), on this connection's strand
    call.body = std::move(request.body());
    if (!certificate_.empty()) {
      call.client = certificate_;  // under mutual TLS the certificate names the client, nothing else
    } else if (auto id = request["X-Client-Id"]; !id.empty()) {
      call.client = "id:" + std::string(cut_utf8(std::string_view(id.data(), id.size()), max_client_id_characters));
    } else {
      call.client = peer_;
    }
    // The reply may come from the audit log's completion thread: hop back onto this strand.
    shared_.router->handle(call, decision_, [self = this->shared_from_this()](http_api::Reply reply) {
      net::post(self->stream_.get_executor(),
                [self, reply = std::move(reply)]() mutable { self->respond(std::move(reply)); });
    });
  }

  void reply_now(http_api::Reply reply, bool keep_alive, unsigned version = 0) {
    keep_alive_ = keep_alive;
    if (version != 0) version_ = version;
    respond(std::move(reply), false);
  }

  void respond(http_api::Reply reply, bool send = true) {
    if (reply.render) reply.body = std::exchange(reply.render, nullptr)();
    http_api::add_common_headers(reply, origin_, shared_.options.cors_origin);
    if (trace_.trace_id.empty()) trace_ = continue_trace({});
    reply.headers.emplace_back("traceparent", traceparent(trace_));
    if (!trace_.state.empty()) reply.headers.emplace_back("tracestate", trace_.state);
    account(reply);
    response_ = {};
    response_.version(version_);
    response_.result(reply.status);
    response_.set(http::field::content_type, reply.content_type);
    for (auto& [name, value] : reply.headers) response_.set(name, value);
    response_.body() = std::move(reply.body);
    if (shared_.draining) keep_alive_ = false;
    response_.keep_alive(keep_alive_);
    response_.prepare_payload();
    if (method_ == "HEAD") {
      // The headers a GET would get, Content-Length included, and no body (RFC 9110 9.3.2).
      auto length = response_.body().size();
      response_.body().clear();
      response_.content_length(length);
    }
    if (send) write();
  }

  void write() {
    busy_ = true;
    tcp_layer().expires_after(std::chrono::milliseconds(shared_.options.read_timeout_ms));
    http::async_write(stream_, response_, [self = this->shared_from_this()](beast::error_code error, std::size_t) {
      self->busy_ = false;
      self->decision_.Clear();
      if (self->hard_close_) {
        // The read still pending on this TLS stream rules out a TLS shutdown: drop the socket.
        self->closed_ = true;
        beast::error_code ignored;
        self->tcp_layer().socket().shutdown(tcp::socket::shutdown_both, ignored);
        self->tcp_layer().close();
        return;
      }
      if (error || !self->keep_alive_ || self->shared_.draining) return self->close();
      self->wait_for_request();
    });
  }

  // Counts the request and writes its access log line (no body, no query, no answers).
  void account(const http_api::Reply& reply) {
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started_);
    if (shared_.options.metrics) shared_.options.metrics->http_request(route_, reply.status);
    std::vector<LogField> fields{{"trace_id", trace_.trace_id},
                                 {"method", method_.empty() ? "-" : method_},
                                 {"route", ServiceMetrics::http_route_name(route_)},
                                 {"status", std::to_string(reply.status), true},
                                 {"latency_us", std::to_string(micros.count()), true}};
    if (!decision_.decision_id().empty()) {
      fields.push_back({"decision_id", decision_.decision_id()});
      fields.push_back({"outcome", v1::Outcome_Name(decision_.outcome())});
    }
    shared_.log->info("http_request", fields);
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    busy_ = false;
    if constexpr (tls) {
      tcp_layer().expires_after(std::chrono::seconds(1));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        beast::error_code ignored;
        self->tcp_layer().socket().shutdown(tcp::socket::shutdown_both, ignored);
        self->tcp_layer().close();
      });
    } else {
      beast::error_code ignored;
      tcp_layer().socket().shutdown(tcp::socket::shutdown_send, ignored);
      tcp_layer().close();
    }
  }

  Shared& shared_;
  bool counted_;
  std::string refusal_;  // why a connection over a cap is refused
  std::string address_;  // the client's IP address (per-client cap)
  std::string peer_;
  Stream stream_;
  net::steady_timer read_timer_;
  bool read_timed_out_ = false;
  std::uint64_t id_ = 0;
  std::string certificate_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  v1::Decision decision_;
  std::string origin_;
  // The request being answered: when it started, its route label, method and trace context.
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  int route_ = 0;
  std::string method_;
  TraceContext trace_;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool busy_ = false;
  bool closed_ = false;
  bool hard_close_ = false;  // TLS read timed out: close the socket after the 408, no TLS shutdown
};

bool split_host_port(const std::string& listen, std::string& host, std::string& port) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 == listen.size()) return false;
  host = listen.substr(0, colon);
  port = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  return true;
}

}  // namespace

// The allow-listed fhirServer prefixes for the start-up log line.
std::string fhir_servers_text(const std::vector<std::string>& servers) {
  if (servers.empty()) return "none (--cds-fhir-servers not set: hooks' fhirServer is never called)";
  std::string text;
  for (const auto& server : servers) text += (text.empty() ? "" : ",") + server;
  return text;
}

struct HttpServer::State {
  Shared shared;
  net::io_context io;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  // Calls hooks' fhirServer (when --cds-fhir-servers allows any) on its own thread; stopped by stop().
  std::shared_ptr<http_api::FhirClient> fhir_client;
  int port = 0;
  bool stopped = false;

  void accept();
  void on_accept(beast::error_code error, tcp::socket socket);
};

void HttpServer::State::accept() {
  acceptor->async_accept(net::make_strand(io), [this](beast::error_code error, tcp::socket socket) {
    on_accept(error, std::move(socket));
  });
}

void HttpServer::State::on_accept(beast::error_code error, tcp::socket socket) {
  if (error == net::error::operation_aborted || shared.draining) return;
  if (!error) {
    bool counted = false;
    std::string refusal;
    std::uint64_t id;
    std::string address = peer_address(socket);
    std::shared_ptr<SessionBase> evicted;  // released outside the lock (its destructor takes it)
    {
      std::lock_guard<std::mutex> lock(shared.mutex);
      int& from_address = shared.per_address[address];
      if (from_address >= shared.options.max_connections_per_client) {
        refusal = "too many connections from your address (at most " +
                  std::to_string(shared.options.max_connections_per_client) + "); retry shortly";
      } else if (shared.connections < shared.options.max_connections) {
        counted = true;
      } else {
        // At the cap, an idle keep-alive connection makes room (the oldest first) rather than
        // the new one being refused: idle connections must not lock everyone out.
        for (auto& [other, weak] : shared.sessions) {
          auto session = weak.lock();
          if (session && session->idle.exchange(false)) {
            evicted = std::move(session);
            break;
          }
        }
        counted = evicted != nullptr;
        if (!counted) refusal = "too many connections; retry shortly";
      }
      if (counted) {
        ++shared.connections;
        ++from_address;
      } else if (from_address == 0) {
        shared.per_address.erase(address);
      }
      id = ++shared.next_id;
    }
    if (evicted) {
      net::post(evicted->executor(), [evicted] { evicted->evict(); });
      evicted.reset();
    }
    if (!counted) shared.log->warn("http_connection_refused", {{"address", address}, {"reason", refusal}});
    std::shared_ptr<SessionBase> base;
    if (shared.tls) {
      auto session = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
          shared, counted, refusal, address, std::move(socket), *shared.tls);
      base = session;
      std::lock_guard<std::mutex> lock(shared.mutex);
      shared.sessions[id] = base;
      session->start(id);
    } else {
      auto session = std::make_shared<Session<beast::tcp_stream>>(shared, counted, refusal, address, std::move(socket));
      base = session;
      std::lock_guard<std::mutex> lock(shared.mutex);
      shared.sessions[id] = base;
      session->start(id);
    }
  } else {
    shared.log->warn("http_accept_failed", {{"error", error.message()}});
  }
  accept();
}

HttpServer::HttpServer(std::unique_ptr<State> state) : state_(std::move(state)) {}

HttpServer::~HttpServer() { stop(); }

int HttpServer::port() const { return state_->port; }

std::unique_ptr<HttpServer> HttpServer::start(const HttpOptions& options, Decider& decider, AuditLog& audit,
                                              std::function<bool()> ready, std::shared_ptr<EventLog> log,
                                              std::string& error) {
  auto state = std::make_unique<State>();
  Shared& shared = state->shared;
  shared.options = options;
  shared.log = log;
  auto kiosk = options.metrics_only ? std::map<std::string, http_api::StaticFile>{}
                                    : http_api::load_static_files(options.kiosk_dir);
  if (!options.metrics_only && !options.kiosk_dir.empty() && kiosk.empty()) {
    log->warn("kiosk_missing", {{"kiosk_dir", options.kiosk_dir}, {"effect", "no /kiosk/ pages"}});
  }
  try {
    if (!options.tls_cert.empty()) {
      shared.tls.emplace(ssl::context::tls_server);
      auto& context = *shared.tls;
      context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                          ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
      context.use_certificate_chain_file(options.tls_cert);
      context.use_private_key_file(options.tls_key, ssl::context::pem);
      if (!options.tls_client_ca.empty()) {
        context.load_verify_file(options.tls_client_ca);
        SSL_CTX_set_client_CA_list(context.native_handle(), SSL_load_client_CA_file(options.tls_client_ca.c_str()));
        context.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
        static const unsigned char session_context[] = "triage-http";
        SSL_CTX_set_session_id_context(context.native_handle(), session_context, sizeof session_context - 1);
      }
    }
  } catch (const boost::system::system_error& failure) {
    error = "HTTP TLS: cannot use the certificate " + options.tls_cert + ", key " + options.tls_key +
            (options.tls_client_ca.empty() ? "" : " or client CA " + options.tls_client_ca) + ": " + failure.what();
    return nullptr;
  }
  std::string host, port;
  if (!split_host_port(options.listen, host, port)) {
    error = "--http-listen must be HOST:PORT, got `" + options.listen + "`";
    return nullptr;
  }
  try {
    tcp::resolver resolver(state->io);
    auto endpoints = resolver.resolve(host, port, tcp::resolver::passive | tcp::resolver::numeric_service);
    tcp::endpoint endpoint = *endpoints.begin();
    state->acceptor.emplace(state->io);
    state->acceptor->open(endpoint.protocol());
    state->acceptor->set_option(net::socket_base::reuse_address(true));
    state->acceptor->bind(endpoint);
    state->acceptor->listen(net::socket_base::max_listen_connections);
    state->port = state->acceptor->local_endpoint().port();
  } catch (const boost::system::system_error& failure) {
    error = "cannot listen for HTTP on " + options.listen + ": " + failure.code().message();
    return nullptr;
  }
  if (options.metrics_only) {
    state->work.emplace(state->io.get_executor());
    state->accept();
    state->threads.emplace_back([raw = state.get()] { raw->io.run(); });
    return std::unique_ptr<HttpServer>(new HttpServer(std::move(state)));
  }
  // FHIR and CDS Hooks: the JWT audience is the public base URL, by default this listener's own.
  http_api::FhirOptions fhir;
  fhir.cds_jwks_file = options.cds_jwks;
  fhir.cds_jwt_leeway_seconds = options.cds_jwt_leeway_seconds;
  fhir.base_url = options.fhir_base_url;
  fhir.canonical_base = options.fhir_canonical_base;
  if (fhir.base_url.empty()) {
    std::string name = host == "0.0.0.0" || host == "::" ? "localhost" : host;
    if (name.find(':') != std::string::npos) name = "[" + name + "]";
    fhir.base_url = std::string(options.tls_cert.empty() ? "http" : "https") + "://" + name + ":" +
                    std::to_string(state->port);
  }
  fhir.fhir_servers = options.cds_fhir_servers;
  if (!fhir.fhir_servers.empty()) {
    http_api::FhirClientOptions client;
    client.timeout_ms = options.cds_fhir_timeout_ms;
    client.ca_file = options.cds_fhir_ca;
    try {
      state->fhir_client = std::make_shared<http_api::FhirClient>(client);
    } catch (const std::runtime_error& failure) {
      error = failure.what();
      return nullptr;
    }
    fhir.fhir_client = state->fhir_client;
  }
  auto fhir_service = http_api::make_fhir_service(decider, audit, fhir, error);
  if (!fhir_service) return nullptr;
  shared.router.emplace(decider, std::move(ready), std::move(kiosk), std::move(fhir_service), options.exposition,
                        options.build);
  log->info("fhir_serving", {{"base_url", fhir.base_url},
                             {"cds_clients", options.cds_jwks.empty() ? "none (--cds-jwks not set)" : options.cds_jwks},
                             {"cds_fhir_servers", fhir_servers_text(options.cds_fhir_servers)}});
  state->work.emplace(state->io.get_executor());
  state->accept();
  for (int i = 0; i < std::max(1, options.threads); ++i) {
    state->threads.emplace_back([raw = state.get()] { raw->io.run(); });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(state)));
}

void HttpServer::drain(int seconds) {
  State& state = *state_;
  if (state.stopped || state.shared.draining.exchange(true)) return;
  // Closing the acceptor on its own strand-less executor: post it to the I/O threads.
  std::promise<void> closed;
  net::post(state.io, [&state, &closed] {
    beast::error_code ignored;
    state.acceptor->close(ignored);
    closed.set_value();
  });
  closed.get_future().wait();
  std::vector<std::shared_ptr<SessionBase>> sessions;
  {
    std::lock_guard<std::mutex> lock(state.shared.mutex);
    for (auto& [id, weak] : state.shared.sessions) {
      if (auto session = weak.lock()) sessions.push_back(std::move(session));
    }
  }
  for (auto& session : sessions) net::post(session->executor(), [session] { session->drain(); });
  sessions.clear();
  std::unique_lock<std::mutex> lock(state.shared.mutex);
  state.shared.all_closed.wait_for(lock, std::chrono::seconds(seconds), [&] { return state.shared.sessions.empty(); });
}

void HttpServer::stop() {
  State& state = *state_;
  if (state.stopped) return;
  state.stopped = true;
  state.shared.draining = true;
  if (state.fhir_client) state.fhir_client->stop();
  state.work.reset();
  state.io.stop();
  for (auto& thread : state.threads) thread.join();
  state.threads.clear();
}

}  // namespace triage
