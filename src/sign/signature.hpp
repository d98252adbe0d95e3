#pragma once
// Detached Ed25519 signatures over bytes (OpenSSL libcrypto), checked against a folder of trusted
// public keys. Keys are PEM files made by `openssl genpkey -algorithm ed25519 -out KEY.pem` (private)
// and `openssl pkey -in KEY.pem -pubout -out NAME.pem` (public; NAME is the signer's name). A key
// is known by its id, "sha256:<hex>" of its DER SubjectPublicKeyInfo. Library code: results are
// values, nothing prints. Used for rulesets (ruleset/approval.hpp) and usable for any other bytes.
#include <string>

namespace triage {

// A detached signature: which key made it and the 64 signature bytes in base64.
struct Signature {
  std::string key_id;     // "sha256:<hex>" of the signing key's public half
  std::string signature;  // base64
};

// Signs `bytes` with the Ed25519 private key in the PEM file `private_key_file`. False with `error`
// when the file cannot be read or holds no Ed25519 private key.
bool sign_bytes(const std::string& bytes, const std::string& private_key_file, Signature& signature,
                std::string& error);

// The outcome of checking a signature.
struct Verification {
  bool ok = false;
  std::string signer;     // the trusted key's file name without .pem, when ok
  std::string key_id;     // as the signature says
  std::string signature;  // base64, as the signature says
  std::string error;      // why not ok: malformed, unknown key, or bytes changed since signing
};

// Checks that `signature` is a valid signature of `bytes` by a public key (*.pem) in the folder
// `trusted_keys_dir` whose id is signature.key_id.
Verification verify_bytes(const std::string& bytes, const Signature& signature, const std::string& trusted_keys_dir);

}  // namespace triage
