#pragma once
// Whether an approved deployment may serve a ruleset (`triage serve --require-approved`), and the
// ruleset's signature file. A ruleset is approved when FOLDER/ruleset.sig is an Ed25519 signature
// (sign/signature.hpp), by a trusted key, of its statement (hash and header), and its header says
// status production, today is inside its effective period and its review is not overdue.
// `open_ruleset` applies this once for every caller (ruleset/open.hpp).
#include <optional>
#include <string>
#include <vector>

#include "diag/diagnostic.hpp"
#include "model/ruleset.hpp"
#include "sign/signature.hpp"

namespace triage {

// The signature file beside the rule files (not a *.rules file, so not part of the hash).
inline constexpr const char* signature_file_name = "ruleset.sig";

// The exact text a ruleset signature covers: the ruleset hash and every header field, one per line,
// then the rule tests' hash when the ruleset has tests.
std::string signed_statement(const model::Ruleset& ruleset);

// The text of a signature file for `ruleset` signed with the Ed25519 key in `private_key_file`:
// the statement for people to read, then `key <id>` and `signature <base64>` lines. False with
// `error` when the key cannot be read or is not Ed25519.
bool sign_ruleset(const model::Ruleset& ruleset, const std::string& private_key_file, std::string& signature_file,
                  std::string& error);

// Checks the text of a signature file against `ruleset` with the public keys in `trusted_keys_dir`.
Verification verify_ruleset_signature(const model::Ruleset& ruleset, const std::string& signature_file,
                                      const std::string& trusted_keys_dir);

// Why the header does not allow serving on day `today` (days since 1970-01-01): no header, status
// not production, no approver, before effective_from or after effective_until, past review_due.
// Empty when approved.
std::vector<std::string> approval_problems(const model::Ruleset& ruleset, long today);

// How a deployment judges approval.
struct ApprovalPolicy {
  std::string trusted_keys;       // folder of trusted public keys (*.pem); empty: no signature check
  bool require_approved = false;  // refuse rules that are not signed and approved
  std::optional<long> today;      // the day to judge dates on; default today (UTC)
};

// A ruleset judged under a policy.
struct Approval {
  Verification signature;  // ok when FOLDER/ruleset.sig verifies against policy.trusted_keys
  Diagnostics refusals;    // under require_approved: why the rules may not serve (errors)
};

// Judges `ruleset`, read from `folder`, under `policy`.
Approval judge_approval(const model::Ruleset& ruleset, const std::string& folder, const ApprovalPolicy& policy);

}  // namespace triage
