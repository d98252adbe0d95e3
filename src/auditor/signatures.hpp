#pragma once
// `triage audit verify`: the ruleset signatures stored in the audit log (schema with the signature
// columns of the rulesets table). Opens the log read-only.
#include <string>
#include <vector>

namespace triage {

class AuditReader;

struct SignatureReport {
  bool ok = true;
  int rulesets = 0;   // rulesets stored
  int signed_ = 0;    // of which signed
  int verified = 0;   // signatures checked against trusted keys (when given)
  std::vector<std::string> problems;  // one line per bad signature
};

// Checks every stored signature: its statement names the ruleset's hash, the stored files hash to
// it, and, with `trusted_keys` (a folder of *.pem public keys), the signature verifies. A log
// without signature columns has none to check. False with `error` when the log cannot be read.
bool verify_stored_signatures(AuditReader& reader, const std::string& trusted_keys, SignatureReport& report,
                              std::string& error);

}  // namespace triage
