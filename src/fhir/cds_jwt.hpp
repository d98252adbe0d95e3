#pragma once
// Verifies the bearer JWTs CDS Hooks clients send (CDS Hooks 2.0 "Trusting CDS Clients"):
// ES384 or RS384 signatures checked with OpenSSL against the keys of configured trusted issuers,
// then `aud`, `exp`, `iat` and `jti` (replay) checks. Thread-safe: one verifier serves every call.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "fhir/common.hpp"

namespace triage::cds {

// One public key of an issuer.
struct TrustedKey {
  std::string kid;   // may be empty
  std::string alg;   // "ES384" or "RS384"
  std::shared_ptr<void> key;  // EVP_PKEY, freed with EVP_PKEY_free
};

// The issuers a server trusts: `iss` -> its keys.
struct TrustedIssuers {
  std::map<std::string, std::vector<TrustedKey>> issuers;
};

// Reads the --cds-jwks file: `{"issuers": {"<iss>": {"keys": [JWK, …]}, …}}` with EC P-384 keys
// (kty EC, crv P-384, x, y) and RSA keys (kty RSA, n, e; at least 2048 bits). False with `error`
// naming the bad issuer or key.
bool read_trusted_issuers(const std::string& text, TrustedIssuers& out, std::string& error);

// Why a token was refused (the 401 body names it); `ok` when accepted.
enum class JwtStatus { ok, malformed, unsupported_alg, unknown_issuer, unknown_key, bad_signature, wrong_audience,
                       expired, not_yet_valid, lifetime_too_long, replayed, missing_claim };
const char* jwt_status_name(JwtStatus status);

struct JwtResult {
  JwtStatus status = JwtStatus::malformed;
  std::string message;  // what was wrong, for the 401 body and the log
  std::string issuer;   // `iss` once known
  std::string subject;  // `sub`
};

class JwtVerifier {
 public:
  // `max_lifetime_seconds`: the longest accepted `exp - now` and the oldest accepted `iat` (the spec
  // asks clients for at most 5 minutes); `leeway_seconds` allows for clock skew.
  explicit JwtVerifier(TrustedIssuers issuers, std::int64_t max_lifetime_seconds = 300, std::int64_t leeway_seconds = 60);

  // Verifies `token` (the text after "Bearer ") for a call to `audience` (the service endpoint URL)
  // at `now` (seconds since the Unix epoch). A token whose signature and claims pass has its
  // (iss, jti) remembered until it expires; a second use is `replayed`.
  JwtResult verify(const std::string& token, const std::string& audience, std::int64_t now);

  // Where (iss, jti) pairs are remembered beyond this process (the audit log), so a token replayed
  // after a restart is refused too: `remember(key, expires_at, now)` is true the first time `key`
  // is seen, false for a replay, nullopt when the store failed (then memory alone decides).
  using ReplayStore = std::function<std::optional<bool>(const std::string& key, std::int64_t expires_at,
                                                         std::int64_t now)>;
  void set_replay_store(ReplayStore store) { store_ = std::move(store); }

 private:
  TrustedIssuers issuers_;
  std::int64_t max_lifetime_;
  std::int64_t leeway_;
  std::mutex mutex_;
  std::map<std::string, std::int64_t> seen_;  // "iss\njti" -> exp; guarded by mutex_
  ReplayStore store_;
};

// Base64url without padding, both ways (false on a bad character).
std::string base64url_encode(const std::string& bytes);
bool base64url_decode(const std::string& text, std::string& bytes);

}  // namespace triage::cds
