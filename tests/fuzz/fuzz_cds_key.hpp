#pragma once
// Shared by fuzz_fhir and fuzz_http: one EC P-384 key made at start-up, the JWKS naming it as the
// trusted issuer's, and bearer tokens it signs, so fuzzed CDS Hooks calls get past the JWT check to
// the request decoders behind it. Aborts when OpenSSL cannot make or use the key (a broken build).
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "fhir/cds_jwt.hpp"
#include "fhir/common.hpp"

namespace triage::fuzz {

class CdsKey {
 public:
  static constexpr std::int64_t now = 1'800'000'000;  // the clock the fuzzed service is given
  static constexpr const char* issuer = "https://ehr.fuzz";

  CdsKey() : key_(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"), EVP_PKEY_free) {
    if (!key_) std::abort();
    unsigned char point[97];
    std::size_t length = 0;
    if (EVP_PKEY_get_octet_string_param(key_.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &length) != 1 ||
        length != 97) {
      std::abort();
    }
    std::string bytes(reinterpret_cast<char*>(point) + 1, 96);
    fhir::Json jwk = {{"kty", "EC"}, {"crv", "P-384"}, {"kid", "fuzz-1"},
                      {"x", cds::base64url_encode(bytes.substr(0, 48))}, {"y", cds::base64url_encode(bytes.substr(48))}};
    jwks_ = fhir::Json{{"issuers", {{issuer, {{"keys", fhir::Json::array({jwk})}}}}}}.dump();
    std::string error;
    if (!cds::read_trusted_issuers(jwks_, issuers_, error)) std::abort();
  }

  // The --cds-jwks text trusting this key.
  const std::string& jwks() const { return jwks_; }

  // A verifier that has seen no token yet (so a token from `token` passes once).
  std::shared_ptr<cds::JwtVerifier> fresh_verifier() const { return std::make_shared<cds::JwtVerifier>(issuers_); }

  // A token for calls to `audience` at `now`.
  std::string token(const std::string& audience) const {
    fhir::Json claims = {{"iss", issuer}, {"sub", "fuzz"}, {"aud", audience}, {"exp", now + 240},
                         {"iat", now - 10}, {"jti", "fuzz-jti"}};
    fhir::Json header = {{"alg", "ES384"}, {"typ", "JWT"}, {"kid", "fuzz-1"}};
    std::string input = cds::base64url_encode(header.dump()) + "." + cds::base64url_encode(claims.dump());
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    std::size_t length = 0;
    if (ctx == nullptr || EVP_DigestSignInit(ctx, nullptr, EVP_sha384(), nullptr, key_.get()) != 1 ||
        EVP_DigestSign(ctx, nullptr, &length, reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
      std::abort();
    }
    std::string der(length, '\0');
    if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(der.data()), &length,
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
      std::abort();
    }
    EVP_MD_CTX_free(ctx);
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(length));
    if (sig == nullptr) std::abort();
    std::string signature = bn_bytes(ECDSA_SIG_get0_r(sig)) + bn_bytes(ECDSA_SIG_get0_s(sig));  // JOSE r||s
    ECDSA_SIG_free(sig);
    return input + "." + cds::base64url_encode(signature);
  }

 private:
  static std::string bn_bytes(const BIGNUM* bn) {
    std::string out(48, '\0');
    BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), 48);
    return out;
  }
  std::shared_ptr<EVP_PKEY> key_;
  std::string jwks_;
  cds::TrustedIssuers issuers_;
};

}  // namespace triage::fuzz
