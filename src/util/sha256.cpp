#include "util/sha256.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace triage {

struct Sha256::State {
  EVP_MD_CTX* context = nullptr;
};

namespace {

// The digest's implementation, fetched from the provider once: EVP_sha256() in a DigestInit looks
// it up again on every call (OpenSSL 3), and the audit writer hashes every record.
const EVP_MD* sha256_method() {
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
  static const EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return fetched != nullptr ? fetched : EVP_sha256();
#else
  return EVP_sha256();
#endif
}

}  // namespace

Sha256::Sha256() : state_(std::make_unique<State>()) {
  state_->context = EVP_MD_CTX_new();
  if (state_->context == nullptr || EVP_DigestInit_ex(state_->context, sha256_method(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 is not available from libcrypto");
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(state_->context); }

void Sha256::update(std::string_view bytes) { EVP_DigestUpdate(state_->context, bytes.data(), bytes.size()); }

std::string Sha256::hex_digest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(state_->context, digest, &length);
  static const char* hex = "0123456789abcdef";
  std::string out(2 * length, '0');
  for (unsigned int i = 0; i < length; ++i) {
    out[2 * i] = hex[digest[i] >> 4];
    out[2 * i + 1] = hex[digest[i] & 0xf];
  }
  return out;
}

}  // namespace triage
