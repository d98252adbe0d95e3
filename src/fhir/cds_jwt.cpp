#include "fhir/cds_jwt.hpp"

#include <cmath>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

namespace triage::cds {
namespace {

using fhir::Json;

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using SigPtr = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;

std::shared_ptr<void> share(PkeyPtr key) {
  return std::shared_ptr<void>(key.release(), [](void* p) { EVP_PKEY_free(static_cast<EVP_PKEY*>(p)); });
}

PkeyPtr from_params(const char* type, OSSL_PARAM_BLD* builder) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(builder));
  if (!params) return nullptr;
  CtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0) {
    return nullptr;
  }
  return PkeyPtr(key);
}

std::string member(const Json& object, const char* name) {
  auto found = object.find(name);
  return found != object.end() && found->is_string() ? found->get<std::string>() : "";
}

bool read_key(const Json& jwk, TrustedKey& out, std::string& error) {
  if (!jwk.is_object()) {
    error = "a key must be a JSON object";
    return false;
  }
  out.kid = member(jwk, "kid");
  std::string kty = member(jwk, "kty");
  std::string alg = member(jwk, "alg");
  if (kty == "EC") {
    std::string x, y;
    if (member(jwk, "crv") != "P-384") {
      error = "EC key `" + out.kid + "` must use crv P-384 (ES384)";
      return false;
    }
    if (!base64url_decode(member(jwk, "x"), x) || !base64url_decode(member(jwk, "y"), y) || x.size() != 48 ||
        y.size() != 48) {
      error = "EC key `" + out.kid + "` needs 48-byte base64url x and y";
      return false;
    }
    std::string point = "\x04" + x + y;
    ParamBldPtr builder(OSSL_PARAM_BLD_new());
    OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "P-384", 0);
    OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
    PkeyPtr key = from_params("EC", builder.get());
    if (!key) {
      error = "EC key `" + out.kid + "` is not a point on P-384";
      return false;
    }
    if (!alg.empty() && alg != "ES384") {
      error = "EC key `" + out.kid + "` has alg " + alg + "; only ES384 is accepted";
      return false;
    }
    out.alg = "ES384";
    out.key = share(std::move(key));
    return true;
  }
  if (kty == "RSA") {
    std::string n, e;
    if (!base64url_decode(member(jwk, "n"), n) || !base64url_decode(member(jwk, "e"), e) || n.empty() || e.empty()) {
      error = "RSA key `" + out.kid + "` needs base64url n and e";
      return false;
    }
    BnPtr bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), static_cast<int>(n.size()), nullptr));
    BnPtr bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), static_cast<int>(e.size()), nullptr));
    if (BN_num_bits(bn_n.get()) < 2048) {
      error = "RSA key `" + out.kid + "` is shorter than 2048 bits";
      return false;
    }
    ParamBldPtr builder(OSSL_PARAM_BLD_new());
    OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get());
    OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get());
    PkeyPtr key = from_params("RSA", builder.get());
    if (!key) {
      error = "RSA key `" + out.kid + "` could not be loaded";
      return false;
    }
    if (!alg.empty() && alg != "RS384") {
      error = "RSA key `" + out.kid + "` has alg " + alg + "; only RS384 is accepted";
      return false;
    }
    out.alg = "RS384";
    out.key = share(std::move(key));
    return true;
  }
  error = "key `" + out.kid + "` has kty `" + kty + "`; EC (P-384) and RSA are accepted";
  return false;
}

// Verifies `signature` over `input` with SHA-384. ES384 signatures are JOSE's raw r||s (96 bytes),
// turned into DER for OpenSSL.
bool verify_signature(const TrustedKey& key, const std::string& input, const std::string& signature) {
  std::string der;
  if (key.alg == "ES384") {
    if (signature.size() != 96) return false;
    SigPtr sig(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(signature.data()), 48, nullptr);
    BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(signature.data()) + 48, 48, nullptr);
    if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
      BN_free(r);
      BN_free(s);
      return false;
    }
    unsigned char* buffer = nullptr;
    int length = i2d_ECDSA_SIG(sig.get(), &buffer);
    if (length <= 0) return false;
    der.assign(reinterpret_cast<char*>(buffer), static_cast<std::size_t>(length));
    OPENSSL_free(buffer);
  } else {
    der = signature;
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha384(), nullptr, static_cast<EVP_PKEY*>(key.key.get())) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(der.data()), der.size(),
                          reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
}

JwtResult refuse(JwtStatus status, std::string message, std::string issuer = "") {
  return {status, std::move(message), std::move(issuer), ""};
}

bool read_object(const std::string& part, Json& out) {
  std::string text;
  if (!base64url_decode(part, text)) return false;
  out = Json::parse(text, nullptr, false);
  return out.is_object();
}

}  // namespace

std::string base64url_encode(const std::string& bytes) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
  } else if (i + 2 == bytes.size()) {
    unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
  }
  return out;
}

bool base64url_decode(const std::string& text, std::string& bytes) {
  bytes.clear();
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '-') v = 62;
    else if (c == '_') v = 63;
    else return false;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return text.size() % 4 != 1;
}

bool read_trusted_issuers(const std::string& text, TrustedIssuers& out, std::string& error) {
  Json document = Json::parse(text, nullptr, false);
  if (!document.is_object() || !document.contains("issuers") || !document["issuers"].is_object()) {
    error = "expected {\"issuers\": {\"<iss>\": {\"keys\": [JWK, ...]}}}";
    return false;
  }
  for (const auto& [issuer, jwks] : document["issuers"].items()) {
    if (!jwks.is_object() || !jwks.contains("keys") || !jwks["keys"].is_array() || jwks["keys"].empty()) {
      error = "issuer `" + issuer + "`: expected {\"keys\": [JWK, ...]} with at least one key";
      return false;
    }
    std::vector<TrustedKey> keys;
    for (const auto& jwk : jwks["keys"]) {
      TrustedKey key;
      std::string why;
      if (!read_key(jwk, key, why)) {
        error = "issuer `" + issuer + "`: " + why;
        return false;
      }
      keys.push_back(std::move(key));
    }
    out.issuers[issuer] = std::move(keys);
  }
  return true;
}

const char* jwt_status_name(JwtStatus status) {
  switch (status) {
    case JwtStatus::ok: return "ok";
    case JwtStatus::malformed: return "malformed";
    case JwtStatus::unsupported_alg: return "unsupported_alg";
    case JwtStatus::unknown_issuer: return "unknown_issuer";
    case JwtStatus::unknown_key: return "unknown_key";
    case JwtStatus::bad_signature: return "bad_signature";
    case JwtStatus::wrong_audience: return "wrong_audience";
    case JwtStatus::expired: return "expired";
    case JwtStatus::not_yet_valid: return "not_yet_valid";
    case JwtStatus::lifetime_too_long: return "lifetime_too_long";
    case JwtStatus::replayed: return "replayed";
    case JwtStatus::missing_claim: return "missing_claim";
  }
  return "unknown";
}

JwtVerifier::JwtVerifier(TrustedIssuers issuers, std::int64_t max_lifetime_seconds, std::int64_t leeway_seconds)
    : issuers_(std::move(issuers)), max_lifetime_(max_lifetime_seconds), leeway_(leeway_seconds) {}

JwtResult JwtVerifier::verify(const std::string& token, const std::string& audience, std::int64_t now) {
  std::size_t first = token.find('.');
  std::size_t second = first == std::string::npos ? first : token.find('.', first + 1);
  if (second == std::string::npos || token.find('.', second + 1) != std::string::npos) {
    return refuse(JwtStatus::malformed, "not a compact JWS (header.payload.signature)");
  }
  Json header, claims;
  std::string signature;
  if (!read_object(token.substr(0, first), header) || !read_object(token.substr(first + 1, second - first - 1), claims) ||
      !base64url_decode(token.substr(second + 1), signature)) {
    return refuse(JwtStatus::malformed, "header, payload or signature is not base64url JSON");
  }
  std::string alg = member(header, "alg");
  if (alg != "ES384" && alg != "RS384") {
    return refuse(JwtStatus::unsupported_alg, "alg `" + alg + "` is not accepted; use ES384 or RS384");
  }
  std::string issuer = member(claims, "iss");
  auto trusted = issuers_.issuers.find(issuer);
  if (issuer.empty() || trusted == issuers_.issuers.end()) {
    return refuse(JwtStatus::unknown_issuer, "issuer `" + issuer + "` is not trusted", issuer);
  }
  std::string kid = member(header, "kid");
  const std::string input = token.substr(0, second);
  bool candidate = false;
  bool verified = false;
  for (const auto& key : trusted->second) {
    if (key.alg != alg || (!kid.empty() && !key.kid.empty() && key.kid != kid)) continue;
    candidate = true;
    if (verify_signature(key, input, signature)) {
      verified = true;
      break;
    }
  }
  if (!candidate) {
    return refuse(JwtStatus::unknown_key, "issuer `" + issuer + "` has no " + alg + " key `" + kid + "`", issuer);
  }
  if (!verified) return refuse(JwtStatus::bad_signature, "the signature does not verify", issuer);

  // Claims, only once the signature holds.
  bool audience_ok = false;
  if (claims.contains("aud")) {
    const Json& aud = claims["aud"];
    if (aud.is_string()) audience_ok = aud.get<std::string>() == audience;
    if (aud.is_array()) {
      for (const auto& a : aud) audience_ok = audience_ok || (a.is_string() && a.get<std::string>() == audience);
    }
  }
  if (!audience_ok) return refuse(JwtStatus::wrong_audience, "`aud` must be " + audience, issuer);
  for (const char* claim : {"exp", "iat"}) {
    if (!claims.contains(claim) || !claims[claim].is_number() || std::abs(claims[claim].get<double>()) > 1e11) {
      return refuse(JwtStatus::missing_claim, std::string("`") + claim + "` (seconds since the epoch) is required", issuer);
    }
  }
  std::string jti = member(claims, "jti");
  if (jti.empty()) return refuse(JwtStatus::missing_claim, "`jti` is required", issuer);
  auto exp = static_cast<std::int64_t>(claims["exp"].get<double>());
  auto iat = static_cast<std::int64_t>(claims["iat"].get<double>());
  // Each refusal names the claim and by how much it is off, so a skewed clock is easy to see.
  const std::string leeway = " (leeway " + std::to_string(leeway_) + " s)";
  if (exp + leeway_ <= now) {
    return refuse(JwtStatus::expired, "`exp` passed " + std::to_string(now - exp) + " s ago" + leeway, issuer);
  }
  if (iat > now + leeway_) {
    return refuse(JwtStatus::not_yet_valid,
                  "`iat` is " + std::to_string(iat - now) + " s ahead of this server's clock" + leeway +
                      ": check both clocks",
                  issuer);
  }
  if (claims.contains("nbf")) {
    if (!claims["nbf"].is_number() || std::abs(claims["nbf"].get<double>()) > 1e11) {
      return refuse(JwtStatus::missing_claim, "`nbf`, when given, must be seconds since the epoch", issuer);
    }
    auto nbf = static_cast<std::int64_t>(claims["nbf"].get<double>());
    if (nbf > now + leeway_) {
      return refuse(JwtStatus::not_yet_valid,
                    "`nbf` is " + std::to_string(nbf - now) + " s ahead of this server's clock" + leeway +
                        ": check both clocks",
                    issuer);
    }
  }
  if (iat + max_lifetime_ + leeway_ < now) {
    return refuse(JwtStatus::expired,
                  "`iat` is " + std::to_string(now - iat) + " s ago, more than the " + std::to_string(max_lifetime_) +
                      " s a token may live" + leeway,
                  issuer);
  }
  if (exp > now + max_lifetime_ + leeway_) {
    return refuse(JwtStatus::lifetime_too_long,
                  "`exp` is " + std::to_string(exp - now) + " s ahead, more than the " + std::to_string(max_lifetime_) +
                      " s a token may live" + leeway,
                  issuer);
  }
  {
    std::lock_guard lock(mutex_);
    for (auto it = seen_.begin(); it != seen_.end();) {
      it = it->second + leeway_ < now ? seen_.erase(it) : std::next(it);
    }
    if (!seen_.emplace(issuer + "\n" + jti, exp).second) {
      return refuse(JwtStatus::replayed, "`jti` " + jti + " was used before", issuer);
    }
  }
  if (store_) {
    std::optional<bool> fresh = store_(issuer + "\n" + jti, exp + leeway_, now);
    if (fresh && !*fresh) {
      return refuse(JwtStatus::replayed, "`jti` " + jti + " was used before (before this server restarted)", issuer);
    }
  }
  return {JwtStatus::ok, "", issuer, member(claims, "sub")};
}

}  // namespace triage::cds
