#pragma once
// The server's TLS files checked with OpenSSL before gRPC sees them, so a wrong file is named as
// such instead of surfacing as a failed listen ("address in use or malformed?").
#include <string>
#include <string_view>

namespace triage {

// Why a server certificate chain and private key (PEM texts) cannot be used together: not a
// certificate, not a private key, or a key that does not belong to the certificate. Empty when fine.
std::string tls_pair_problem(std::string_view certificate_pem, std::string_view key_pem);

}  // namespace triage
