#include "ruleset/approval.hpp"

#include <sstream>

#include "check/governance.hpp"
#include "diag/codes.hpp"
#include "util/files.hpp"

namespace triage {
namespace {

// The value of the first `name value` line of a signature file.
std::string field(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + " ", 0) == 0) return line.substr(name.size() + 1);
  }
  return {};
}

}  // namespace

std::string signed_statement(const model::Ruleset& ruleset) {
  const auto& h = ruleset.header;
  std::string text = "triage-ruleset-statement 1\n";
  auto line = [&](const char* key, const std::string& value) { text += std::string(key) + " " + value + "\n"; };
  line("ruleset_hash", ruleset.hash);
  line("title", h.title);
  line("version", h.version);
  line("status", h.status);
  line("approved_by", h.approved_by);
  line("approver_role", h.approver_role);
  line("approved_on", h.approved_on);
  line("review_due", h.review_due);
  line("effective_from", h.effective_from);
  line("effective_until", h.effective_until);
  if (!ruleset.tests_hash.empty()) line("tests_hash", ruleset.tests_hash);
  return text;
}

bool sign_ruleset(const model::Ruleset& ruleset, const std::string& private_key_file, std::string& signature_file,
                  std::string& error) {
  std::string statement = signed_statement(ruleset);
  Signature signature;
  if (!sign_bytes(statement, private_key_file, signature, error)) return false;
  signature_file = statement + "key " + signature.key_id + "\nsignature " + signature.signature + "\n";
  return true;
}

Verification verify_ruleset_signature(const model::Ruleset& ruleset, const std::string& signature_file,
                                      const std::string& trusted_keys_dir) {
  Signature signature{field(signature_file, "key"), field(signature_file, "signature")};
  Verification verified = verify_bytes(signed_statement(ruleset), signature, trusted_keys_dir);
  const std::string bytes = "the signed bytes";
  auto at = verified.error.find(bytes);
  if (!verified.ok && at != std::string::npos) {
    verified.error.replace(at, bytes.size(), "this ruleset (a rule file, the header or a rule test changed after signing)");
  }
  return verified;
}

std::vector<std::string> approval_problems(const model::Ruleset& ruleset, long today) {
  std::vector<std::string> problems;
  const auto& h = ruleset.header;
  if (!h.declared) return {"the ruleset has no `ruleset` header"};
  if (h.status != "production") problems.push_back("status is `" + h.status + "`, not `production`");
  if (h.approved_by.empty()) problems.push_back("no `approved_by`");
  auto from = check::parse_date(h.effective_from);
  auto until = check::parse_date(h.effective_until);
  auto due = check::parse_date(h.review_due);
  if (!from) problems.push_back("no `effective_from`");
  else if (today < *from) problems.push_back("not effective until " + h.effective_from);
  if (until && today > *until) problems.push_back("stopped being effective on " + h.effective_until);
  if (!due) problems.push_back("no `review_due`");
  else if (today > *due) problems.push_back("past its review date " + h.review_due);
  return problems;
}

Approval judge_approval(const model::Ruleset& ruleset, const std::string& folder, const ApprovalPolicy& policy) {
  Approval approval;
  const std::string path = folder + "/" + signature_file_name;
  if (!policy.trusted_keys.empty()) {
    std::string text;
    if (!read_text_file(path, text)) {
      approval.signature.error = "unsigned: no " + path;
    } else {
      approval.signature = verify_ruleset_signature(ruleset, text, policy.trusted_keys);
    }
  }
  if (!policy.require_approved) return approval;
  SourceLocation where{path, 0, 0};
  if (!approval.signature.ok) {
    approval.refusals.push_back({std::string(code::not_approved), Severity::error, where, "not approved: " + approval.signature.error,
                                 "sign the approved ruleset with `triage sign --key KEY.pem` (see docs/clinicians.md, 'From edit to signed deployment')"});
  }
  long today = policy.today ? *policy.today : today_utc();
  for (const auto& problem : approval_problems(ruleset, today)) {
    approval.refusals.push_back({std::string(code::not_approved), Severity::error, ruleset.header.declared ? ruleset.header.location : where,
                                 "not approved: " + problem, "see `triage check --release`"});
  }
  return approval;
}

}  // namespace triage
