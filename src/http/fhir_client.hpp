#pragma once
// A small HTTP/1.1 client for CDS Hooks' `fhirServer` (the EHR's FHIR server, called when a hook
// comes without its prefetch): one GET at a time per call, asynchronous on the client's own I/O
// thread (never a listener thread), with a deadline over the whole exchange, a cap on the answer's
// size and on the calls in flight; https with the system's trusted CAs and host-name checking
// (OpenSSL). Redirects are not followed. No Beast or Asio header leaves src/http/.
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace triage::http_api {

struct FhirClientOptions {
  int timeout_ms = 5000;                    // resolve, connect, TLS, request and whole answer
  std::size_t max_body_bytes = 1024 * 1024; // a larger answer is a failure
  int max_in_flight = 64;                   // further calls fail at once (503)
  // PEM file of CA certificates trusted for https FHIR servers besides the system's (a clinic's
  // private CA); empty: the system's trust store only.
  std::string ca_file;
};

// What a GET gave: the body of a 200 answer, or the status the hook answers with (502 the server
// failed, refused or sent too much; 504 it did not answer in time; 503 too many calls in flight)
// and a message without secrets (never the token).
struct FetchResult {
  bool ok = false;
  int status = 502;
  std::string error;
  std::string body;
};

// Thread-safe. Owns one I/O thread, started by the constructor and joined by stop().
class FhirClient {
 public:
  // Throws std::runtime_error naming the file when options.ca_file cannot be read as PEM CAs.
  explicit FhirClient(FhirClientOptions options);
  // stop().
  ~FhirClient();
  FhirClient(const FhirClient&) = delete;
  FhirClient& operator=(const FhirClient&) = delete;

  // GETs `url` (http:// or https://, no user info) with `Accept: application/fhir+json` and, when
  // `bearer` is not empty, `Authorization: Bearer <bearer>`. Calls `done` exactly once: at once for
  // a URL it cannot call or when too many calls are in flight, else from the client's thread; never
  // after stop() (calls still in flight then are dropped with their callbacks).
  void get(const std::string& url, const std::string& bearer, std::function<void(FetchResult)> done);

  // Stops the I/O thread and joins it. Safe to call twice; not from within a `done` callback.
  void stop();

  struct Impl;  // the I/O thread and its context (fhir_client.cpp)

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace triage::http_api
