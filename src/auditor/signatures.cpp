#include "auditor/signatures.hpp"

#include "audit/sqlite.hpp"
#include "ruleset/loader.hpp"
#include "sign/signature.hpp"

namespace triage {

bool verify_stored_signatures(const std::string& db_path, const std::string& trusted_keys, SignatureReport& report,
                              std::string& error) {
  try {
    sql::Database db(db_path, sql::Database::Mode::read_only);
    sql::Statement has(db, "SELECT count(*) FROM pragma_table_info('rulesets') WHERE name = 'signature'");
    has.step();
    bool columns = has.integer(0) > 0;
    sql::Statement rows(db, columns ? "SELECT hash, signer, signing_key, signature, signed_statement FROM rulesets"
                                    : "SELECT hash, '', '', '', '' FROM rulesets");
    while (rows.step()) {
      ++report.rulesets;
      std::string hash = rows.text(0), signer = rows.text(1), key = rows.text(2), signature = rows.text(3),
                  statement = rows.text(4);
      if (signature.empty()) continue;
      ++report.signed_;
      std::string where = "ruleset " + hash + " (signed by " + signer + ")";
      if (statement.find("\nruleset_hash " + hash + "\n") == std::string::npos) {
        report.problems.push_back(where + ": the signed statement names another ruleset");
        continue;
      }
      sql::Statement files(db, "SELECT name, text FROM ruleset_files WHERE hash = ?1 ORDER BY name");
      files.bind(1, hash);
      std::vector<std::pair<std::string, std::string>> stored;
      while (files.step()) stored.emplace_back(files.text(0), files.text(1));
      if (ruleset_hash(stored) != hash) {
        report.problems.push_back(where + ": the stored rule files do not hash to it");
        continue;
      }
      if (trusted_keys.empty()) continue;
      Verification check = verify_bytes(statement, Signature{key, signature}, trusted_keys);
      if (!check.ok) {
        report.problems.push_back(where + ": " + check.error);
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
