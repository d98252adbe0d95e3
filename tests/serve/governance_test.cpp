// Governance: the release gate (`check --release`), the hazard log (`hazards`), signing (`sign`) and
// `serve --require-approved` refusing unsigned, tampered, foreign-signed or expired rulesets at
// start and on reload while the old ruleset keeps serving. All on a COPY of the shipped rules made
// production and signed here; the shipped rules themselves stay draft.
#include <catch2/catch.hpp>

#include <grpcpp/grpcpp.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <spdlog/sinks/null_sink.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "api/decision_proto.hpp"
#include "eval/evaluator.hpp"
#include "intake/intake.hpp"
#include "cli/commands.hpp"
#include "ruleset/approval.hpp"
#include "ruleset/loader.hpp"
#include "serve/server.hpp"
#include "support.hpp"
#include "triage/v1/triage.grpc.pb.h"

namespace triage {
namespace {

namespace fs = std::filesystem;

struct Run {
  int code;
  std::string out;
  std::string err;
};

template <typename Command>
Run run(Command command, std::vector<std::string> args) {
  std::istringstream in;
  std::ostringstream out, err;
  int code = command(args, cli::Io{in, out, err});
  return {code, out.str(), err.str()};
}

// An Ed25519 key pair as PEM texts.
struct KeyPair {
  std::string private_pem;
  std::string public_pem;
};

KeyPair make_key() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  REQUIRE(key != nullptr);
  auto pem = [&](bool is_private) {
    BIO* bio = BIO_new(BIO_s_mem());
    if (is_private) PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    else PEM_write_bio_PUBKEY(bio, key);
    char* data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    std::string text(data, static_cast<std::size_t>(size));
    BIO_free(bio);
    return text;
  };
  KeyPair pair{pem(true), pem(false)};
  EVP_PKEY_free(key);
  return pair;
}

void write(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

std::string header(const std::string& review_due, const std::string& effective_until = "",
                   const std::string& version = "2.0.0") {
  return "ruleset\n  title \"Back pain self-care triage rules\"\n  version \"" + version + "\"\n  status production\n"
         "  approved_by \"Dr A. Example\"\n  approver_role \"Clinical Safety Officer\"\n"
         "  approved_on \"2026-01-05\"\n  review_due \"" + review_due + "\"\n  effective_from \"2026-01-06\"\n" +
         (effective_until.empty() ? "" : "  effective_until \"" + effective_until + "\"\n");
}

// A temporary copy of the shipped rules (and their tests), made production, with a trusted key
// `cso` (in trusted/) and an untrusted key `other`.
struct Release {
  fs::path folder = fs::temp_directory_path() / ("triage-governance-test-" + new_decision_id());
  fs::path rules = folder / "rules";
  fs::path trusted = folder / "trusted";
  KeyPair cso = make_key();
  KeyPair other = make_key();

  Release() {
    fs::create_directories(rules / "tests");
    fs::create_directories(trusted);
    for (const auto& entry : fs::directory_iterator(test::source_path("rules"))) {
      if (entry.path().extension() == ".rules") fs::copy_file(entry.path(), rules / entry.path().filename());
    }
    for (const auto& entry : fs::directory_iterator(test::source_path("rules/tests"))) {
      fs::copy_file(entry.path(), rules / "tests" / entry.path().filename());
    }
    write(rules / "ruleset.rules", header("2099-01-01"));
    write(folder / "cso.pem", cso.private_pem);
    write(folder / "other.pem", other.private_pem);
    write(trusted / "cso.pem", cso.public_pem);
  }
  ~Release() {
    std::error_code ignored;
    fs::remove_all(folder, ignored);
  }

  // Signs as of `today` (YYYY-MM-DD; empty: today), since a production ruleset is signed only in date.
  Run sign(const std::string& key = "cso.pem", const std::string& today = "") {
    std::vector<std::string> args{"--rules", rules.string(), "--key", (folder / key).string()};
    if (!today.empty()) args.insert(args.end(), {"--today", today});
    return run(cli::run_sign, args);
  }

  void edit(const std::string& file, const std::string& from, const std::string& to) {
    std::string text = test::read_file((rules / file).string());
    auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
    write(rules / file, text);
  }

  ServeConfig config() const {
    ServeConfig config;
    config.rules = rules.string();
    config.listen = "127.0.0.1:0";
    config.audit_db = (folder / "audit.db").string();
    config.drain_seconds = 1;
    config.watch_interval_ms = 0;
    config.trusted_keys = trusted.string();
    config.require_approved = true;
    config.audit_signing_key = (folder / "cso.pem").string();  // signed checkpoints, verified below
    return config;
  }

  std::unique_ptr<TriageServer> start(std::string& error) const {
    auto quiet = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
    return TriageServer::start(config(), std::make_shared<EventLog>(quiet, false), error);
  }
};

int count(const std::string& text, const std::regex& pattern) {
  return static_cast<int>(std::distance(std::sregex_iterator(text.begin(), text.end(), pattern), std::sregex_iterator()));
}

}  // namespace

TEST_CASE("governance: the shipped rules declare every cited source and every red flag controls a hazard", "[governance]") {
  Run result = run(cli::run_check, {"--rules", test::source_path("rules")});
  INFO(result.out << result.err);
  CHECK(result.out.find("never cited") == std::string::npos);
  CHECK(result.out.find("controls no hazard") == std::string::npos);
  CHECK(result.out.find("has no control") == std::string::npos);
  const auto& model = *test::shipped().model;
  CHECK(model.header.declared);
  CHECK(model.header.status != "production");  // honest: nobody has approved them
  CHECK(model.header.approved_by.empty());
  CHECK(!model.sources.empty());
  CHECK(!model.hazards.empty());
}

TEST_CASE("governance: a decision carries the full source of every citation it shows", "[governance][api]") {
  const CompiledRuleset& ruleset = test::shipped();
  std::vector<RawAnswer> raw;
  std::string error;
  REQUIRE(parse_intake_json(test::read_file(test::source_path("rules/examples/emergency_cauda_equina.json")), raw, error));
  v1::Decision decision = to_decision_proto(ruleset, evaluate(ruleset, validate_answers(ruleset, raw).answers), "d-1", 0, "r-1");
  REQUIRE(decision.red_flags_size() > 0);
  std::map<std::string, const v1::Source*> references;
  for (const auto& source : decision.references()) {
    CHECK(references.emplace(source.id(), &source).second);  // each source once
    CHECK_FALSE(source.title().empty());
    CHECK_FALSE((source.url().empty() && source.document().empty()));  // a URL or a document reference
  }
  for (const auto& flag : decision.red_flags()) {
    for (const auto& id : flag.sources()) {
      INFO("red flag " << flag.rule() << " cites " << id);
      CHECK(references.count(id) == 1);
    }
  }
  for (const auto& [id, source] : references) {  // as the registry (sources.rules) declares it
    const model::Source* declared = model::find_source(*ruleset.model, id);
    REQUIRE(declared != nullptr);
    CHECK(source->title() == declared->title);
    CHECK(source->url() == declared->url);
    CHECK(source->document() == declared->document);
  }
}

TEST_CASE("governance: check --release refuses the draft shipped rules and passes an approved copy", "[governance]") {
  Run draft = run(cli::run_check, {"--release", "--rules", test::source_path("rules")});
  CHECK(draft.code == 1);
  CHECK(draft.out.find("not `production`") != std::string::npos);
  CHECK(draft.out.find("has no `approved_by`") != std::string::npos);

  Release release;
  Run ok = run(cli::run_check, {"--release", "--rules", release.rules.string(), "--today", "2026-06-01"});
  INFO(ok.out << ok.err);
  CHECK(ok.code == 0);
  CHECK(ok.out.find("(--release)") != std::string::npos);

  Run soon = run(cli::run_check, {"--release", "--rules", release.rules.string(), "--today", "2098-12-10"});
  CHECK(soon.code == 0);
  CHECK(soon.out.find("warning[review-due]: the ruleset is due for review on 2099-01-01, within 30 days") != std::string::npos);
  Run overdue = run(cli::run_check, {"--release", "--rules", release.rules.string(), "--today", "2099-01-02"});
  CHECK(overdue.code == 1);
  CHECK(overdue.out.find("error[review-due]: the ruleset was due for review on 2099-01-01") != std::string::npos);
}

TEST_CASE("governance: unused sources, red flags without a hazard and hazards without controls", "[governance]") {
  Release release;
  std::ofstream(release.rules / "sources.rules", std::ios::app)
      << "\nsource \"never cited\"\n  title \"A source nobody cites\"\n  document \"nowhere\"\n";
  release.edit("hazards.rules", "controls flag_struggling_to_cope\n", "");
  Run plain = run(cli::run_check, {"--rules", release.rules.string()});
  INFO(plain.out << plain.err);
  CHECK(plain.code == 0);  // warnings only
  CHECK(plain.out.find("warning[unused-source]: source \"never cited\" is declared but never cited") != std::string::npos);
  CHECK(plain.out.find("warning[uncontrolled-red-flag]: red flag `flag_struggling_to_cope` controls no hazard") != std::string::npos);
  CHECK(plain.out.find("warning[uncontrolled-hazard]: hazard `unaddressed_distress` has no control") != std::string::npos);
  CHECK(run(cli::run_check, {"--strict", "--rules", release.rules.string()}).code == 1);
  Run gate = run(cli::run_check, {"--release", "--rules", release.rules.string(), "--today", "2026-06-01"});
  CHECK(gate.code == 1);
  CHECK(gate.out.find("error[uncontrolled-red-flag]: red flag `flag_struggling_to_cope` controls no hazard") != std::string::npos);
  CHECK(gate.out.find("error[uncontrolled-hazard]: hazard `unaddressed_distress` has no control") != std::string::npos);
}

TEST_CASE("governance: check --release refuses a hazard control that no test exercises", "[governance]") {
  Release release;
  for (const auto& entry : fs::directory_iterator(release.rules / "tests")) {
    if (entry.path().filename() != "red_flags.cases") fs::remove(entry.path());
  }
  Run gate = run(cli::run_check, {"--release", "--rules", release.rules.string(), "--today", "2026-06-01"});
  CHECK(gate.code == 1);
  CHECK(gate.out.find("of hazard `self_massage_in_acute_flare` is exercised by no `.cases` test") != std::string::npos);
}

TEST_CASE("governance: hazards lists the shipped hazard log with the tests of every control", "[governance]") {
  std::string log = test::read_file(test::source_path("rules/hazards.rules"));
  const auto& model = *test::shipped().model;
  int declared = count(log, std::regex("(^|\\n)hazard [a-z_]+"));
  REQUIRE(declared == static_cast<int>(model.hazards.size()));

  Run md = run(cli::run_hazards, {"--rules", test::source_path("rules")});
  INFO(md.out << md.err);
  CHECK(md.code == 0);  // every control has a passing test
  CHECK(count(md.out, std::regex("\\n## [a-z_]+\\n")) == declared);
  for (const auto& hazard : model.hazards) {
    CHECK(md.out.find("## " + hazard.id + "\n") != std::string::npos);
    CHECK(md.out.find("- Description: " + hazard.description) != std::string::npos);
    for (const auto& control : hazard.controls) {
      const std::string& id = control.kind == model::Control::Kind::red_flag ? model.red_flags[control.index].id
                                                                             : model.rules[control.index].id;
      CHECK(md.out.find("`" + id + "`: ") != std::string::npos);
    }
  }
  CHECK(md.out.find("NOT TESTED") == std::string::npos);
  CHECK(md.out.find("FAIL ") == std::string::npos);
  CHECK(md.out.find("catastrophic/very_low (3)") != std::string::npos);
  // The summary: one row per hazard, each controlled and tested, residual 3 marked for acceptance.
  CHECK(md.out.find("## Summary\n\n| hazard | initial risk | residual risk | controls | test cases | state |") !=
        std::string::npos);
  CHECK(count(md.out, std::regex("\\n\\| [a-z_]+ \\| [a-z_]+/[a-z_]+ \\([1-5]\\) \\|")) == declared);
  CHECK(count(md.out, std::regex("\\| controlled and tested")) == declared);
  CHECK(md.out.find("red flag `flag_saddle_numbness` (refer emergency)") != std::string::npos);
  CHECK(md.out.find("(3) | ") != std::string::npos);
  CHECK(md.out.find("residual risk needs the CSO's acceptance") != std::string::npos);
  CHECK(md.out.find("more passing (see --format csv)") != std::string::npos);

  Run csv = run(cli::run_hazards, {"--rules", test::source_path("rules"), "--format", "csv"});
  CHECK(csv.code == 0);
  CHECK(csv.out.rfind("hazard,description,cause,harm,initial_risk,residual_risk,control_kind,control,test_case,result\n", 0) == 0);
  CHECK(csv.out.find(",fail\n") == std::string::npos);
  CHECK(csv.out.find("\"missed_cauda_equina\"") != std::string::npos);

  Run json = run(cli::run_hazards, {"--rules", test::source_path("rules"), "--format", "json"});
  CHECK(json.code == 0);
  CHECK(count(json.out, std::regex("\\{\"id\":\"[a-z_]+\",\"description\"")) == declared);
  CHECK(json.out.find("\"passed\":false") == std::string::npos);
}

TEST_CASE("governance: sign and verify round trip; a changed byte, another key and an unknown key fail", "[governance]") {
  Release release;
  Run signed_ = release.sign();
  INFO(signed_.out << signed_.err);
  REQUIRE(signed_.code == 0);
  LoadResult loaded = load_ruleset(release.rules.string());
  REQUIRE(loaded.ruleset);
  std::string signature = test::read_file((release.rules / signature_file_name).string());
  CHECK(signature.find("ruleset_hash " + loaded.ruleset->model->hash) != std::string::npos);
  // The rule tests are under the signature too (hazard controls are proved by them).
  CHECK(signature.find("tests_hash " + rule_tests_hash(release.rules.string())) != std::string::npos);
  CHECK(loaded.ruleset->model->tests_hash.rfind("sha256:", 0) == 0);
  Verification ok = verify_ruleset_signature(*loaded.ruleset->model, signature, release.trusted.string());
  CHECK(ok.ok);
  CHECK(ok.signer == "cso");

  release.edit("red_flags.rules", "refer emergency", "refer emergency ");  // one byte more
  LoadResult changed = load_ruleset(release.rules.string());
  REQUIRE(changed.ruleset);
  Verification tampered = verify_ruleset_signature(*changed.ruleset->model, signature, release.trusted.string());
  CHECK_FALSE(tampered.ok);
  CHECK(tampered.error.find("does not match") != std::string::npos);

  REQUIRE(release.sign("other.pem").code == 0);
  std::string foreign = test::read_file((release.rules / signature_file_name).string());
  Verification unknown = verify_ruleset_signature(*changed.ruleset->model, foreign, release.trusted.string());
  CHECK_FALSE(unknown.ok);
  CHECK(unknown.error.find("unknown key") != std::string::npos);

  CHECK(run(cli::run_sign, {"--rules", release.rules.string(), "--key", (release.trusted / "cso.pem").string()}).code == 1);
}

TEST_CASE("governance: serve --require-approved refuses unsigned, foreign, tampered and expired rules at start", "[governance][serve]") {
  Release release;
  std::string error;
  CHECK_FALSE(release.start(error));
  CHECK(error.find("unsigned") != std::string::npos);

  REQUIRE(release.sign("other.pem").code == 0);
  CHECK_FALSE(release.start(error));
  CHECK(error.find("unknown key") != std::string::npos);

  REQUIRE(release.sign().code == 0);
  release.edit("plan.rules", "plan", "plan ");
  CHECK_FALSE(release.start(error));
  CHECK(error.find("does not match") != std::string::npos);

  write(release.rules / "ruleset.rules", header("2020-01-01"));
  REQUIRE(release.sign("cso.pem", "2019-06-01").code == 0);  // signed while in date, served after
  CHECK_FALSE(release.start(error));
  CHECK(error.find("past its review date 2020-01-01") != std::string::npos);

  write(release.rules / "ruleset.rules", header("2099-01-01", "2026-01-31"));
  REQUIRE(release.sign("cso.pem", "2026-01-10").code == 0);
  CHECK_FALSE(release.start(error));
  CHECK(error.find("stopped being effective on 2026-01-31") != std::string::npos);

  std::string draft = header("2099-01-01");
  draft.replace(draft.find("status production"), 17, "status testing");
  write(release.rules / "ruleset.rules", draft);
  REQUIRE(release.sign().code == 0);
  CHECK_FALSE(release.start(error));
  CHECK(error.find("status is `testing`, not `production`") != std::string::npos);
}

TEST_CASE("governance: sign refuses a production ruleset that fails the release gate", "[governance]") {
  Release release;
  release.edit("hazards.rules", "controls flag_struggling_to_cope\n", "");  // a hazard left without control
  Run refused = release.sign();
  CHECK(refused.code == 1);
  CHECK(refused.err.find("error[uncontrolled-hazard]: hazard `unaddressed_distress` has no control") != std::string::npos);
  CHECK(refused.err.find("does not pass `triage check --release`") != std::string::npos);
  CHECK_FALSE(fs::exists(release.rules / "ruleset.sig"));
  // Out of date is refused too, and a draft may be signed (it never serves under --require-approved).
  write(release.rules / "ruleset.rules", header("2020-01-01"));
  CHECK(release.sign().err.find("error[review-due]") != std::string::npos);
  std::string draft = header("2020-01-01");
  draft.replace(draft.find("status production"), 17, "status draft");
  write(release.rules / "ruleset.rules", draft);
  CHECK(release.sign().code == 0);
}

TEST_CASE("governance: a refused reload keeps the approved ruleset serving and says why", "[governance][serve]") {
  Release release;
  REQUIRE(release.sign().code == 0);
  std::string error;
  auto server = release.start(error);
  INFO(error);
  REQUIRE(server);
  auto stub = v1::TriageService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(server->port()), grpc::InsecureChannelCredentials()));
  auto info = [&] {
    grpc::ClientContext context;
    v1::RulesetInfo result;
    REQUIRE(stub->GetRuleset(&context, {}, &result).ok());
    return result;
  };
  v1::RulesetInfo first = info();
  CHECK(first.status() == "production");
  CHECK(first.version() == "2.0.0");
  CHECK(first.approved_by() == "Dr A. Example");
  CHECK(first.review_due() == "2099-01-01");
  CHECK(first.signed_by() == "cso");
  CHECK(first.signing_key().rfind("sha256:", 0) == 0);
  CHECK(first.hazard_count() > 0);
  const std::string served = first.ruleset_hash();

  auto reload = [&] {
    grpc::ClientContext context;
    v1::ReloadResult result;
    REQUIRE(stub->ReloadRules(&context, {}, &result).ok());
    return result;
  };
  auto refused = [&](const std::string& why) {
    v1::ReloadResult result = reload();
    CHECK_FALSE(result.reloaded());
    CHECK(result.ruleset_hash() == served);
    bool said = false;
    for (const auto& d : result.diagnostics()) said = said || d.message().find(why) != std::string::npos;
    CHECK(said);
    v1::RulesetInfo now = info();
    CHECK(now.ruleset_hash() == served);
    CHECK(now.signed_by() == "cso");
    CHECK_FALSE(now.last_reload().reloaded());
    // The old rules still decide.
    grpc::ClientContext context;
    v1::EvaluateRequest request;
    (*request.mutable_answers())["bladder_or_bowel_change"].set_bool_value(true);
    v1::Decision decision;
    REQUIRE(stub->Evaluate(&context, request, &decision).ok());
    CHECK(decision.ruleset_hash() == served);
  };

  SECTION("a changed byte") {
    release.edit("red_flags.rules", "refer emergency", "refer emergency ");
    refused("does not match");
  }
  SECTION("signed by another key") {
    release.edit("red_flags.rules", "refer emergency", "refer emergency ");
    REQUIRE(release.sign("other.pem").code == 0);
    refused("unknown key");
  }
  SECTION("expired") {
    write(release.rules / "ruleset.rules", header("2020-01-01"));
    REQUIRE(release.sign("cso.pem", "2019-06-01").code == 0);
    refused("past its review date");
  }
  SECTION("a rule test changed after signing") {
    std::ofstream(release.rules / "tests" / "red_flags.cases", std::ios::app) << "\n# edited after approval\n";
    refused("a rule test changed after signing");
  }
  SECTION("unsigned") {
    fs::remove(release.rules / signature_file_name);
    release.edit("plan.rules", "plan", "plan ");
    refused("unsigned");
  }
  SECTION("a re-signed approved change serves") {
    release.edit("red_flags.rules", "refer emergency", "refer emergency ");
    REQUIRE(release.sign().code == 0);
    v1::ReloadResult result = reload();
    CHECK(result.reloaded());
    CHECK(result.ruleset_hash() != served);
    CHECK(info().signed_by() == "cso");
  }
}

TEST_CASE("governance: under --require-approved an older signed release is refused unless the operator allows a rollback", "[governance][serve]") {
  Release release;
  write(release.rules / "ruleset.rules", header("2099-01-01", "", "2.0.1"));
  REQUIRE(release.sign().code == 0);
  std::string error;
  auto server = release.start(error);
  INFO(error);
  REQUIRE(server);
  auto stub = v1::TriageService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(server->port()), grpc::InsecureChannelCredentials()));
  auto reload = [&](bool allow_rollback) {
    grpc::ClientContext context;
    v1::ReloadRulesRequest request;
    request.set_allow_rollback(allow_rollback);
    v1::ReloadResult result;
    REQUIRE(stub->ReloadRules(&context, request, &result).ok());
    return result;
  };
  auto version = [&] {
    grpc::ClientContext context;
    v1::RulesetInfo info;
    REQUIRE(stub->GetRuleset(&context, {}, &info).ok());
    return info.version();
  };
  REQUIRE(version() == "2.0.1");

  // The older release, properly signed by the trusted key.
  write(release.rules / "ruleset.rules", header("2099-01-01", "", "2.0.0"));
  REQUIRE(release.sign().code == 0);
  v1::ReloadResult refused = reload(false);
  CHECK_FALSE(refused.reloaded());
  REQUIRE(refused.diagnostics_size() == 1);
  CHECK(refused.diagnostics(0).code() == "rollback");
  CHECK(refused.diagnostics(0).message() == "version 2.0.0 is older than version 2.0.1 that is served: a rollback");
  CHECK(refused.diagnostics(0).hint().find("--allow-rollback") != std::string::npos);
  CHECK(version() == "2.0.1");

  // A pre-release of the served version is older too.
  write(release.rules / "ruleset.rules", header("2099-01-01", "", "2.0.1-rc.1"));
  REQUIRE(release.sign().code == 0);
  CHECK_FALSE(reload(false).reloaded());

  write(release.rules / "ruleset.rules", header("2099-01-01", "", "2.0.0"));
  REQUIRE(release.sign().code == 0);
  v1::ReloadResult allowed = reload(true);
  CHECK(allowed.reloaded());
  CHECK(allowed.rolled_back());
  CHECK(version() == "2.0.0");

  // Forward again needs nothing special, and is not a rollback.
  write(release.rules / "ruleset.rules", header("2099-01-01", "", "2.1.0"));
  REQUIRE(release.sign().code == 0);
  v1::ReloadResult forward = reload(false);
  CHECK(forward.reloaded());
  CHECK_FALSE(forward.rolled_back());
  CHECK(version() == "2.1.0");
}

TEST_CASE("governance: the audit log keeps the signature and signer; audit verify checks them", "[governance][audit]") {
  Release release;
  REQUIRE(release.sign().code == 0);
  {
    std::string error;
    auto server = release.start(error);
    INFO(error);
    REQUIRE(server);
  }
  std::string db = (release.folder / "audit.db").string();
  Run ok = run(cli::run_audit, {"verify", "--db", db, "--trusted-keys", release.trusted.string()});
  INFO(ok.out << ok.err);
  CHECK(ok.code == 0);
  CHECK(ok.err.find("1 rulesets, 1 signed, 1 signatures verified") != std::string::npos);

  fs::path others = release.folder / "others";
  fs::create_directories(others);
  write(others / "other.pem", release.other.public_pem);
  Run foreign = run(cli::run_audit, {"verify", "--db", db, "--trusted-keys", others.string()});
  CHECK(foreign.code == 1);
  CHECK(foreign.err.find("BAD SIGNATURE") != std::string::npos);
  CHECK(foreign.err.find("unknown key") != std::string::npos);

  // Someone with write access edits what the log says about the approval.
  auto edit_log = [&](const char* sql) {
    sqlite3* handle = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &handle) == SQLITE_OK);
    CHECK(sqlite3_exec(handle, sql, nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(handle);
  };
  edit_log("UPDATE rulesets SET signer = 'someone else'");
  Run renamed = run(cli::run_audit, {"verify", "--db", db, "--trusted-keys", release.trusted.string()});
  CHECK(renamed.code == 1);
  CHECK(renamed.err.find("the signature is by trusted key `cso`, not `someone else` as the log says") !=
        std::string::npos);
  edit_log("UPDATE rulesets SET signer = 'cso', signed_statement = replace(signed_statement, 'Dr A. Example', 'Dr Mallory')");
  Run forged = run(cli::run_audit, {"verify", "--db", db});  // caught without the keys
  CHECK(forged.code == 1);
  CHECK(forged.err.find("the signed statement is not the stored ruleset's own header") != std::string::npos);
}

}  // namespace triage
