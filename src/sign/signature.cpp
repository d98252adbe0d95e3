#include "sign/signature.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <vector>

#include "util/files.hpp"
#include "util/sha256.hpp"

namespace triage {
namespace {

struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct MdFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

bool unbase64(const std::string& text, std::string& bytes) {
  if (text.empty() || text.size() % 4 != 0) return false;
  bytes.assign(text.size() / 4 * 3 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()),
                          reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return false;
  std::size_t padding = 0;
  if (text.back() == '=') ++padding;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
  bytes.resize(static_cast<std::size_t>(n) - padding);
  return true;
}

Key read_key(const std::string& pem, bool is_private) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return nullptr;
  EVP_PKEY* key = is_private ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                             : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (key != nullptr && EVP_PKEY_id(key) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(key);
    return nullptr;
  }
  return Key(key);
}

// "sha256:<hex>" of the DER SubjectPublicKeyInfo.
std::string key_id(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int n = i2d_PUBKEY(key, &der);
  if (n <= 0) return {};
  std::string bytes(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  Sha256 digest;
  digest.update(bytes);
  return "sha256:" + digest.hex_digest();
}

}  // namespace

bool sign_bytes(const std::string& bytes, const std::string& private_key_file, Signature& out, std::string& error) {
  std::string pem;
  if (!read_text_file(private_key_file, pem)) {
    error = "cannot read the key " + private_key_file;
    return false;
  }
  Key key = read_key(pem, true);
  if (!key) {
    error = private_key_file + " is not an Ed25519 private key in PEM (make one: openssl genpkey -algorithm ed25519 -out KEY.pem)";
    return false;
  }
  std::unique_ptr<EVP_MD_CTX, MdFree> ctx(EVP_MD_CTX_new());
  std::size_t length = 64;
  std::string signature(length, '\0');
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()) != 1) {
    error = "signing failed in libcrypto";
    return false;
  }
  signature.resize(length);
  out.key_id = key_id(key.get());
  out.signature = base64(signature);
  return true;
}

Verification verify_bytes(const std::string& bytes, const Signature& given, const std::string& trusted_keys_dir) {
  Verification result;
  result.key_id = given.key_id;
  result.signature = given.signature;
  std::string signature;
  if (given.key_id.empty() || !unbase64(given.signature, signature)) {
    result.error = "no valid key id and signature";
    return result;
  }
  std::error_code code;
  std::vector<std::filesystem::path> keys;
  for (const auto& entry : std::filesystem::directory_iterator(trusted_keys_dir, code)) {
    if (entry.path().extension() == ".pem") keys.push_back(entry.path());
  }
  if (code) {
    result.error = "cannot read the trusted keys folder " + trusted_keys_dir;
    return result;
  }
  std::sort(keys.begin(), keys.end());
  for (const auto& path : keys) {
    std::string pem;
    if (!read_text_file(path.string(), pem)) continue;
    Key key = read_key(pem, false);
    if (!key || key_id(key.get()) != given.key_id) continue;
    std::unique_ptr<EVP_MD_CTX, MdFree> ctx(EVP_MD_CTX_new());
    bool valid = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
                 EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                                  reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()) == 1;
    if (!valid) {
      result.error = "the signature by " + path.stem().string() + " does not match the signed bytes";
      return result;
    }
    result.ok = true;
    result.signer = path.stem().string();
    return result;
  }
  result.error = "signed by an unknown key " + given.key_id + " (not in " + trusted_keys_dir + ")";
  return result;
}

}  // namespace triage
