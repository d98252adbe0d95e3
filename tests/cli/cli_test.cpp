// The `triage` subcommands, run in process with string streams: exit codes, output shapes, errors.
#include <catch2/catch.hpp>

#include <google/protobuf/util/json_util.h>

#include <sstream>

#include "cli/commands.hpp"
#include "support.hpp"

namespace triage {
namespace {

struct Run {
  int code;
  std::string out;
  std::string err;
};

template <typename Command>
Run run(Command command, std::vector<std::string> args, const std::string& input = "") {
  std::istringstream in(input);
  std::ostringstream out, err;
  int code = command(args, cli::Io{in, out, err});
  return {code, out.str(), err.str()};
}

std::string rules() { return test::source_path("rules"); }

}  // namespace

TEST_CASE("check: 0 and a summary on the shipped rules", "[cli]") {
  Run result = run(cli::run_check, {"--rules", rules()});
  CHECK(result.code == 0);
  CHECK(result.out.find(": ok, 9 files") != std::string::npos);
  CHECK(result.out.find("sha256:") != std::string::npos);
}

TEST_CASE("check: 1 with file:line:column, the line and a caret on a broken ruleset", "[cli]") {
  Run result = run(cli::run_check, {"--rules", test::source_path("tests/check/golden/unknown_fact_did_you_mean")});
  CHECK(result.code == 1);
  CHECK(result.err.find(".rules:") != std::string::npos);
  CHECK(result.err.find("^") != std::string::npos);
  CHECK(result.err.find("did you mean `night_pain`?") != std::string::npos);
}

TEST_CASE("check --format json gives machine-readable diagnostics", "[cli]") {
  Run result = run(cli::run_check, {"--rules", test::source_path("tests/check/golden/unknown_fact_did_you_mean"),
                                    "--format", "json"});
  CHECK(result.code == 1);
  CHECK(result.out.rfind("{\"ok\":false", 0) == 0);
  CHECK(result.out.find("\"line\":") != std::string::npos);
}

TEST_CASE("eval prints the protobuf JSON mapping of a Decision", "[cli]") {
  std::string intake = test::read_file(test::source_path("rules/examples/self_care_lower_back.json"));
  Run result = run(cli::run_eval, {"--rules", rules(), "--intake", "-"}, intake);
  REQUIRE(result.code == 0);
  v1::Decision decision;
  google::protobuf::util::JsonParseOptions strict;  // unknown fields are an error
  REQUIRE(google::protobuf::util::JsonStringToMessage(result.out, &decision, strict).ok());
  CHECK(decision.outcome() == v1::self_care);
  CHECK(decision.decision_id().size() == 36);
  CHECK(decision.ruleset_hash() == test::shipped().model->hash);
  for (const char* field : {"\"decision_id\"", "\"ruleset_hash\"", "\"outcome\":\"self_care\"", "\"red_flags\":[]",
                            "\"missing\":[]", "\"plan\":[", "\"excluded\":[", "\"cautions\":["}) {
    CHECK(result.out.find(field) != std::string::npos);
  }
  CHECK(result.out.find("\"urgency\"") == std::string::npos);  // absent when there is none
}

TEST_CASE("eval of a referral names the urgency", "[cli]") {
  Run result = run(cli::run_eval, {"--rules", rules(), "--intake",
                                   test::source_path("rules/examples/emergency_cauda_equina.json")});
  REQUIRE(result.code == 0);
  CHECK(result.out.find("\"outcome\":\"refer\"") != std::string::npos);
  CHECK(result.out.find("\"urgency\":\"emergency\"") != std::string::npos);
}

TEST_CASE("eval exits 2 on invalid input, naming the fact", "[cli]") {
  struct Case {
    std::string intake;
    std::string message;
  };
  auto c = GENERATE(values<Case>({
      {R"({"answers": {"pain_intensity": 12}})", "`pain_intensity` expects a whole number from 0 to 10, got 12"},
      {R"({"answers": {"sadle_numbness": true}})", "did you mean `saddle_numbness`?"},
      {"{", "not valid JSON"},
      // version 3: a whole number is written as one
      {R"({"answers": {"pain_intensity": 4.0}})", "`pain_intensity` expects a whole number from 0 to 10, got 4.0"},
      {R"({"answers": {"age": 4e1}})", "`age` expects a whole number from 0 to 120, got 4e1"},
  }));
  Run result = run(cli::run_eval, {"--rules", rules(), "--intake", "-"}, c.intake);
  CHECK(result.code == 2);
  CHECK(result.out.empty());
  CHECK(result.err.find(c.message) != std::string::npos);
}

TEST_CASE("eval exits 2 for an unreadable intake file and 1 for a broken ruleset", "[cli]") {
  Run missing = run(cli::run_eval, {"--rules", rules(), "--intake", "/no/such/file.json"});
  CHECK(missing.code == 2);
  CHECK(missing.err.find("cannot read the intake file `/no/such/file.json`: No such file or directory") !=
        std::string::npos);
  CHECK(run(cli::run_eval, {"--rules", test::source_path("tests/check/golden/unknown_fact_did_you_mean"),
                            "--intake", "-"}, "{\"answers\": {}}")
            .code == 1);
  CHECK(run(cli::run_eval, {"--rules", rules()}).code == 1);  // --intake is required
}

TEST_CASE("schema lists the questions screen by screen, the defaulted at-home questions last", "[cli]") {
  Run result = run(cli::run_schema, {"--rules", rules()});
  REQUIRE(result.code == 0);
  v1::Questionnaire questionnaire;
  REQUIRE(google::protobuf::util::JsonStringToMessage(result.out, &questionnaire).ok());
  const auto& questions = questionnaire.questions();
  std::size_t answerable = 0;
  for (const auto& fact : test::shipped().model->facts) answerable += fact.derived ? 0 : 1;
  REQUIRE(static_cast<std::size_t>(questions.size()) == answerable);  // every answerable fact, no derived ones
  CHECK(questions[0].fact() == "age");  // the sections' order: about you and your pain first
  CHECK(questions[0].section() == "about_your_pain");
  bool seen_non_red_flag = false;
  for (const auto& question : questions) {
    CHECK(!question.text().empty());
    CHECK(!question.section().empty());
    if (!question.red_flag()) {
      seen_non_red_flag = true;
      // version 3: caution wins, so only the equipment question keeps a default (having nothing)
      CHECK(question.has_default_() == (question.fact() == "equipment"));
      continue;
    }
    CHECK_FALSE(seen_non_red_flag);  // the at-home screen comes last
    CHECK_FALSE(question.has_default_());
  }
  CHECK(result.out.find("\"min\":\"0\"") != std::string::npos);  // int64 maps to a JSON string
}

}  // namespace triage

#include <google/protobuf/util/message_differencer.h>

#include "api/decision_json.hpp"

namespace triage {

TEST_CASE("the fast Decision printer is the protobuf JSON mapping", "[api]") {
  auto example = GENERATE(as<std::string>{}, "self_care_lower_back.json", "self_care_acute_flare.json",
                          "emergency_cauda_equina.json", "incomplete_few_answers.json",
                          "incomplete_provisional_routine.json");
  v1::Decision decision = to_decision_proto(
      test::shipped(),
      evaluate(test::shipped(),
               test::answers_from_json(test::shipped(), test::read_file(test::source_path("rules/examples/" + example)))),
      "3f1c2a9e-0000-4000-8000-000000000001", 1763702423988866, "session \"7\"\n");
  std::string json = decision_to_json(decision);
  v1::Decision parsed;
  google::protobuf::util::JsonParseOptions strict;
  REQUIRE(google::protobuf::util::JsonStringToMessage(json, &parsed, strict).ok());
  CHECK(google::protobuf::util::MessageDifferencer::Equals(parsed, decision));
  // The same document protobuf's own printer makes, compared as parsed messages and field set.
  v1::Decision reparsed;
  REQUIRE(google::protobuf::util::JsonStringToMessage(to_json(decision), &reparsed).ok());
  CHECK(google::protobuf::util::MessageDifferencer::Equals(parsed, reparsed));
  CHECK(json.find("\"decided_at\":\"2025-11-21T05:20:23.988866Z\"") != std::string::npos);
  CHECK((json.find("\"urgency\":") != std::string::npos) == decision.has_urgency());
}

}  // namespace triage

namespace triage {

TEST_CASE("audit: usage, missing files and formats are errors with a reason", "[cli][audit]") {
  std::istringstream in;
  std::ostringstream out, err;
  cli::Io io{in, out, err};
  CHECK(cli::run_audit({}, io) == 1);
  CHECK(cli::run_audit({"verify"}, io) == 1);
  CHECK(err.str().find("--db PATH is required") != std::string::npos);
  CHECK(cli::run_audit({"verify", "--db", "/no/such/audit.db"}, io) == 1);
  CHECK(err.str().find("cannot read the audit log") != std::string::npos);
}

TEST_CASE("call and reload say what --server must be before connecting", "[cli]") {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  auto c = GENERATE(values<Case>({
      {{"--intake", "-"}, "triage call: --server ADDR is required: the service's gRPC address"},
      {{"--server", "http://127.0.0.1:8080", "--intake", "-"}, "not a URL like `http://…`"},
      {{"--server", "127.0.0.1:1"}, "triage call: --intake FILE is required"},
  }));
  Run result = run(cli::run_call, c.args, "{\"answers\": {}}");
  CHECK(result.code == 1);
  CHECK(result.err.find(c.message) != std::string::npos);
  Run reload = run(cli::run_reload, {});
  CHECK(reload.err.find("triage reload: --server ADDR is required") != std::string::npos);
}

TEST_CASE("call: two JSON values in one intake file point to eval --jsonl", "[cli]") {
  Run result = run(cli::run_call, {"--server", "127.0.0.1:1", "--intake", "-"},
                   "{\"answers\": {}}\n{\"answers\": {}}\n");
  CHECK(result.code == 2);
  CHECK(result.err.find("for one intake per line use `triage eval --intake FILE.jsonl`") != std::string::npos);
}

}  // namespace triage
