#pragma once
// Who may call the admin RPCs (ReloadRules) under mutual TLS. Decided from the client certificate's
// subject as OpenSSL parses it, attribute by attribute (never by searching the subject's text, where
// `CN=ops` can hide inside another attribute's value: `/O=x CN=ops/CN=kiosk-8`), then by a pure
// comparison of whole names that is tested by table.
#include <openssl/x509.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace triage {

// A certificate subject, attribute by attribute.
struct CertificateSubject {
  std::string dn;                         // RFC 2253, every special and control character escaped
  std::vector<std::string> common_names;  // each CN attribute's value (UTF-8), in the subject's order
};

// The subject of a parsed X.509 name.
CertificateSubject subject_of(const X509_NAME* name);

// The subject of the first certificate in `pem` (what gRPC hands the server); nullopt when it holds none.
std::optional<CertificateSubject> certificate_subject(std::string_view pem);

// The names a subject goes by: its whole RFC 2253 DN, then its common name when it has exactly one
// CN attribute (with several, which one names the client is ambiguous, so only the DN counts). Pure.
std::vector<std::string> subject_names(const CertificateSubject& subject);

// True when one of `subject_names` equals one of `admin_subjects` exactly (`ops` never matches
// `ops-mallory`); an empty name never matches. Pure.
bool is_admin(const std::vector<std::string>& subject_names, const std::vector<std::string>& admin_subjects);

}  // namespace triage
