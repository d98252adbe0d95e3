#include "http/fhir_client.hpp"

#include <openssl/ssl.h>

#include <stdexcept>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>
#include <thread>

namespace triage::http_api {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

struct Url {
  bool tls = false;
  std::string host;    // without brackets for IPv6
  std::string port;
  std::string target;  // path and query, at least "/"
};

// Splits an absolute http(s) URL; false with `why` when it is not one the client calls.
bool parse_url(const std::string& url, Url& out, std::string& why) {
  std::size_t start = url.starts_with("https://") ? 8 : url.starts_with("http://") ? 7 : 0;
  if (start == 0) {
    why = "not an http:// or https:// URL";
    return false;
  }
  out.tls = start == 8;
  std::size_t slash = url.find('/', start);
  std::string authority = url.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
  out.target = slash == std::string::npos ? "/" : url.substr(slash);
  if (authority.empty() || authority.find('@') != std::string::npos) {
    why = "the URL has no host, or user info";
    return false;
  }
  std::size_t colon = authority.rfind(':');
  if (authority.front() == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string::npos) {
      why = "bad IPv6 address in the URL";
      return false;
    }
    out.host = authority.substr(1, close - 1);
    colon = close + 1 < authority.size() && authority[close + 1] == ':' ? close + 1 : std::string::npos;
  } else {
    out.host = authority.substr(0, colon);
  }
  out.port = colon == std::string::npos ? (out.tls ? "443" : "80") : authority.substr(colon + 1);
  if (out.host.empty() || out.port.empty() || out.port.find_first_not_of("0123456789") != std::string::npos) {
    why = "bad host or port in the URL";
    return false;
  }
  for (unsigned char c : url) {
    if (c <= 0x20 || c >= 0x7f) {
      why = "the URL has spaces or control characters";
      return false;
    }
  }
  return true;
}

FetchResult failure(int status, std::string error) { return {false, status, std::move(error), {}}; }

}  // namespace

struct FhirClient::Impl {
  FhirClientOptions options;
  ssl::context tls{ssl::context::tls_client};  // before io: calls dropped at stop() go with io first
  net::io_context io;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::thread thread;
  std::atomic<int> in_flight{0};
  bool stopped = false;
};

namespace {

// One GET, on the client's single I/O thread (so its handlers never run at once). A deadline timer
// over the whole exchange cancels whatever is pending when it fires.
class Fetch : public std::enable_shared_from_this<Fetch> {
 public:
  Fetch(FhirClient::Impl& client, Url url, std::string bearer, std::function<void(FetchResult)> done)
      : client_(client), url_(std::move(url)), bearer_(std::move(bearer)), done_(std::move(done)),
        resolver_(client.io), deadline_(client.io) {
    if (url_.tls) secure_.emplace(client.io, client.tls);
    else plain_.emplace(client.io);
    parser_.body_limit(client.options.max_body_bytes);
    parser_.header_limit(64 * 1024);
  }

  void start() {
    deadline_.expires_after(std::chrono::milliseconds(client_.options.timeout_ms));
    deadline_.async_wait([self = shared_from_this()](beast::error_code error) {
      if (error || self->finished_) return;
      self->timed_out_ = true;
      self->resolver_.cancel();
      beast::error_code ignored;
      self->lowest().socket().close(ignored);
    });
    resolver_.async_resolve(url_.host, url_.port, [self = shared_from_this()](beast::error_code error,
                                                                             tcp::resolver::results_type results) {
      if (error) return self->fail(502, "cannot resolve " + self->url_.host + ": " + error.message());
      self->lowest().async_connect(results, [self](beast::error_code error, const tcp::endpoint&) {
        if (error) return self->fail(502, "cannot connect to " + self->url_.host + ": " + error.message());
        if (!self->secure_) return self->send(*self->plain_);
        self->handshake();
      });
    });
  }

 private:
  beast::tcp_stream& lowest() { return secure_ ? beast::get_lowest_layer(*secure_) : *plain_; }

  void handshake() {
    SSL* handle = secure_->native_handle();
    // SNI, and the certificate must name the host (as well as chain to a trusted CA).
    if (!SSL_set_tlsext_host_name(handle, url_.host.c_str())) return fail(502, "cannot set the TLS server name");
    secure_->set_verify_mode(ssl::verify_peer);
    secure_->set_verify_callback(ssl::host_name_verification(url_.host));
    secure_->async_handshake(ssl::stream_base::client, [self = shared_from_this()](beast::error_code error) {
      if (error) return self->fail(502, "TLS with " + self->url_.host + " failed: " + error.message());
      self->send(*self->secure_);
    });
  }

  template <typename Stream>
  void send(Stream& stream) {
    request_.method(http::verb::get);
    request_.target(url_.target);
    request_.version(11);
    request_.set(http::field::host, url_.host + (url_.port == (url_.tls ? "443" : "80") ? "" : ":" + url_.port));
    request_.set(http::field::accept, "application/fhir+json");
    request_.set(http::field::user_agent, "triage-cds-hooks");
    request_.set(http::field::connection, "close");
    if (!bearer_.empty()) request_.set(http::field::authorization, "Bearer " + bearer_);
    http::async_write(stream, request_, [self = shared_from_this(), &stream](beast::error_code error, std::size_t) {
      if (error) return self->fail(502, "cannot send the request to " + self->url_.host + ": " + error.message());
      http::async_read(stream, self->buffer_, self->parser_, [self](beast::error_code error, std::size_t) {
        if (error == http::error::body_limit) {
          return self->fail(502, "the FHIR server's answer is larger than " +
                                     std::to_string(self->client_.options.max_body_bytes) + " bytes");
        }
        if (error) return self->fail(502, "no readable answer from " + self->url_.host + ": " + error.message());
        const auto& response = self->parser_.get();
        if (response.result_int() != 200) {
          return self->fail(502, "the FHIR server answered HTTP " + std::to_string(response.result_int()));
        }
        self->finish({true, 200, {}, response.body()});
      });
    });
  }

  void fail(int status, std::string error) {
    if (timed_out_) {
      return finish(failure(504, "the FHIR server did not answer within " +
                                     std::to_string(client_.options.timeout_ms) + " ms"));
    }
    finish(failure(status, std::move(error)));
  }

  void finish(FetchResult result) {
    if (finished_) return;
    finished_ = true;
    deadline_.cancel();
    beast::error_code ignored;
    lowest().socket().close(ignored);
    --client_.in_flight;
    auto done = std::move(done_);
    done(std::move(result));
  }

  FhirClient::Impl& client_;
  Url url_;
  std::string bearer_;
  std::function<void(FetchResult)> done_;
  tcp::resolver resolver_;
  net::steady_timer deadline_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure_;
  beast::flat_buffer buffer_;
  http::request<http::empty_body> request_;
  http::response_parser<http::string_body> parser_;
  bool finished_ = false;
  bool timed_out_ = false;
};

}  // namespace

FhirClient::FhirClient(FhirClientOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  impl_->tls.set_default_verify_paths();
  if (!options.ca_file.empty()) {
    boost::system::error_code error;
    impl_->tls.load_verify_file(options.ca_file, error);
    if (error) throw std::runtime_error("--cds-fhir-ca " + options.ca_file + ": " + error.message());
  }
  impl_->tls.set_verify_mode(ssl::verify_peer);
  impl_->work.emplace(impl_->io.get_executor());
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

FhirClient::~FhirClient() { stop(); }

void FhirClient::get(const std::string& url, const std::string& bearer, std::function<void(FetchResult)> done) {
  Url parsed;
  std::string why;
  if (!parse_url(url, parsed, why)) return done(failure(502, "fhirServer cannot be called: " + why));
  if (bearer.find_first_of("\r\n") != std::string::npos) return done(failure(400, "the access token has line breaks"));
  if (++impl_->in_flight > impl_->options.max_in_flight) {
    --impl_->in_flight;
    return done(failure(503, "too many FHIR server calls in flight; try again"));
  }
  auto fetch = std::make_shared<Fetch>(*impl_, std::move(parsed), bearer, std::move(done));
  net::post(impl_->io, [fetch] { fetch->start(); });
}

void FhirClient::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  impl_->work.reset();
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace triage::http_api
