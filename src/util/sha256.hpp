#pragma once
// SHA-256 through OpenSSL's libcrypto.
#include <memory>
#include <string>
#include <string_view>

namespace triage {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::string_view bytes);
  // Lower-case hex of the digest; the object must not be updated afterwards.
  std::string hex_digest();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace triage
