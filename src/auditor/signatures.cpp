#include "auditor/signatures.hpp"

#include "audit/reader.hpp"
#include "audit/sqlite.hpp"
#include "ruleset/approval.hpp"
#include "ruleset/loader.hpp"
#include "sign/signature.hpp"

namespace triage {

bool verify_stored_signatures(AuditReader& reader, const std::string& trusted_keys, SignatureReport& report,
                              std::string& error) {
  try {
    for (const StoredSignature& stored : reader.ruleset_signatures()) {
      ++report.rulesets;
      if (stored.signature.empty()) continue;
      ++report.signed_;
      std::string where = "ruleset " + stored.hash + " (signed by " + stored.signer + ")";
      if (stored.statement.find("\nruleset_hash " + stored.hash + "\n") == std::string::npos) {
        report.problems.push_back(where + ": the signed statement names another ruleset");
        continue;
      }
      std::vector<std::pair<std::string, std::string>> files;
      if (!reader.ruleset_files(stored.hash, files) || ruleset_hash(files) != stored.hash) {
        report.problems.push_back(where + ": the stored rule files do not hash to it");
        continue;
      }
      // The statement must be the one these files make (hash and header), so an edited approver or
      // status in the log is caught even without the keys.
      // The tests are not stored in the log; their hash is taken as the statement signs it.
      std::string tests_hash;
      if (auto at = stored.statement.find("\ntests_hash "); at != std::string::npos) {
        auto start = at + 12;
        tests_hash = stored.statement.substr(start, stored.statement.find('\n', start) - start);
      }
      LoadResult loaded = load_ruleset_from_texts(files, tests_hash);
      if (!loaded.ruleset || signed_statement(*loaded.ruleset->model) != stored.statement) {
        report.problems.push_back(where + ": the signed statement is not the stored ruleset's own header");
        continue;
      }
      if (trusted_keys.empty()) continue;
      Verification check = verify_bytes(stored.statement, Signature{stored.signing_key, stored.signature}, trusted_keys);
      if (!check.ok) {
        report.problems.push_back(where + ": " + check.error);
      } else if (check.signer != stored.signer) {
        report.problems.push_back(where + ": the signature is by trusted key `" + check.signer + "`, not `" +
                                  stored.signer + "` as the log says");
      } else {
        ++report.verified;
      }
    }
    report.ok = report.problems.empty();
    return true;
  } catch (const sql::SqliteError& failure) {
    error = std::string("cannot read the ruleset signatures: ") + failure.what();
    return false;
  }
}

}  // namespace triage
