// The sign stage on its own: sign bytes with a key file, verify them against a folder of trusted
// public keys; a changed byte, an untrusted key and a malformed signature are refused.
#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <filesystem>
#include <fstream>

#include "api/decision_proto.hpp"
#include "sign/signature.hpp"

namespace triage {
namespace {

namespace fs = std::filesystem;

// Writes a new Ed25519 key pair: the private key to `private_file`, the public one to `public_file`.
void make_key(const fs::path& private_file, const fs::path& public_file) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  REQUIRE(key != nullptr);
  auto write = [&](const fs::path& path, bool is_private) {
    BIO* bio = BIO_new(BIO_s_mem());
    if (is_private) PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    else PEM_write_bio_PUBKEY(bio, key);
    char* data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    std::ofstream(path, std::ios::binary) << std::string(data, static_cast<std::size_t>(size));
    BIO_free(bio);
  };
  write(private_file, true);
  write(public_file, false);
  EVP_PKEY_free(key);
}

}  // namespace

TEST_CASE("sign_bytes and verify_bytes: round trip, a changed byte, an unknown key, a bad signature", "[sign]") {
  fs::path folder = fs::temp_directory_path() / ("triage-sign-test-" + new_decision_id());
  fs::path trusted = folder / "trusted";
  fs::create_directories(trusted);
  make_key(folder / "alice.key", trusted / "alice.pem");
  make_key(folder / "mallory.key", folder / "mallory.pem");  // not trusted

  const std::string bytes = "checkpoint 42 sha256:abc\n";
  Signature signature;
  std::string error;
  REQUIRE(sign_bytes(bytes, (folder / "alice.key").string(), signature, error));
  CHECK(signature.key_id.rfind("sha256:", 0) == 0);

  Verification ok = verify_bytes(bytes, signature, trusted.string());
  CHECK(ok.ok);
  CHECK(ok.signer == "alice");
  CHECK(ok.key_id == signature.key_id);

  Verification changed = verify_bytes("checkpoint 43 sha256:abc\n", signature, trusted.string());
  CHECK_FALSE(changed.ok);
  CHECK(changed.error.find("does not match") != std::string::npos);

  Signature foreign;
  REQUIRE(sign_bytes(bytes, (folder / "mallory.key").string(), foreign, error));
  Verification unknown = verify_bytes(bytes, foreign, trusted.string());
  CHECK_FALSE(unknown.ok);
  CHECK(unknown.error.find("unknown key") != std::string::npos);

  Verification malformed = verify_bytes(bytes, Signature{signature.key_id, "not base64!"}, trusted.string());
  CHECK_FALSE(malformed.ok);

  // A public key is not a signing key; a missing file is an error, not a crash.
  CHECK_FALSE(sign_bytes(bytes, (trusted / "alice.pem").string(), foreign, error));
  CHECK_FALSE(sign_bytes(bytes, (folder / "absent.key").string(), foreign, error));
  CHECK(error.find("cannot read") != std::string::npos);

  std::error_code ignored;
  fs::remove_all(folder, ignored);
}

}  // namespace triage
