// `triage lsp`'s code lenses and commands, driven over stdio as an editor drives them: "Run test"
// and "Run all tests in this file" on a `.cases` file run the engine's rule-test runner against the
// folder's rules as the editor holds them; "Show a witness intake" on each red flag gives an intake
// that, pasted as a case, passes `triage test`'s runner.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "lsp/lsp_client.hpp"
#include "support.hpp"

namespace triage::test {
namespace {

Json text_document(const std::string& uri) { return {{"uri", uri}}; }

void open(LspClient& client, const std::string& uri, const std::string& text, int version = 1) {
  client.notify("textDocument/didOpen",
                {{"textDocument", {{"uri", uri}, {"languageId", "triage"}, {"version", version}, {"text", text}}}});
}

void change(LspClient& client, const std::string& uri, const std::string& text, int version) {
  client.notify("textDocument/didChange",
                {{"textDocument", {{"uri", uri}, {"version", version}}}, {"contentChanges", Json::array({{{"text", text}}})}});
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

// Runs a lens' command as the editor does; returns the response and the message it showed.
std::pair<Json, Json> run(LspClient& client, const Json& command) {
  Json response = client.request("workspace/executeCommand", {{"command", command["command"]}, {"arguments", command["arguments"]}});
  Json shown;
  if (response.contains("result")) {
    shown = client.wait_for([](const Json& m) { return m.contains("method") && m["method"] == "window/showMessage"; })["params"];
  }
  return {response, shown};
}

const std::string cases_text =
    "# two cases: one right, one wrong\n"
    "case \"saddle numbness is an emergency\"\n"
    "  answer saddle_numbness = true\n"
    "  expect outcome refer\n"
    "  expect urgency emergency\n"
    "\n"
    "case \"saddle numbness is routine (wrong on purpose)\"\n"
    "  answer saddle_numbness = true\n"
    "  expect urgency routine\n";

}  // namespace

TEST_CASE("lsp: code lenses on a .cases file run its cases with the rule-test runner", "[lsp]") {
  ShippedRulesCopy copy("lsp-lens-cases");
  std::filesystem::create_directories(copy.rules / "tests");
  const std::string cases_path = (copy.rules / "tests" / "lens.cases").string(), uri = file_uri(cases_path);
  std::ofstream(cases_path, std::ios::binary) << cases_text;
  const std::string red_flags = (copy.rules / "red_flags.rules").string(), red_uri = file_uri(red_flags);
  const std::string red_text = read_file(red_flags);
  LspClient client;
  Json capabilities = client.initialize()["result"]["capabilities"];
  CHECK(capabilities["codeLensProvider"].is_object());
  CHECK(capabilities["executeCommandProvider"]["commands"] == Json::array({"triage.runCase", "triage.runCases", "triage.showWitness"}));
  open(client, uri, cases_text);

  Json lenses = client.request("textDocument/codeLens", {{"textDocument", text_document(uri)}})["result"];
  REQUIRE(lenses.size() == 3);
  CHECK(lenses[0]["command"]["title"] == "Run all tests in this file");
  CHECK(lenses[0]["range"]["start"]["line"] == 0);
  CHECK(lenses[1]["command"]["title"] == "Run test");
  CHECK(lenses[1]["range"]["start"]["line"] == 1);  // on its `case` line
  CHECK(lenses[2]["range"]["start"]["line"] == 6);
  CHECK(lenses[2]["command"]["arguments"][0]["case"] == "saddle numbness is routine (wrong on purpose)");

  struct Row {
    std::string name;
    int lens;                        // which lens' command runs
    std::string rules_buffer;        // red_flags.rules as the editor holds it (unsaved); empty: as on disk
    std::string cases_buffer;        // the .cases file as the editor holds it; empty: as opened
    int passed, failed;
    int message_type;                // window/showMessage: 1 error, 3 info
    std::string says;                // in the message
  };
  const std::vector<Row> rows = {
      {"a passing case", 1, "", "", 1, 0, 3, "PASS saddle numbness is an emergency"},
      {"a failing case shows expected and actual", 2, "", "", 0, 1, 1, "expected urgency routine, got emergency"},
      {"the whole file", 0, "", "", 1, 1, 1, "lens.cases: 1 passed, 1 failed"},
      {"an unsaved rules buffer is what runs", 1,
       replaced(red_text, "saddle_numbness -> refer emergency", "saddle_numbness -> refer urgent"), "", 0, 1, 1,
       "expected urgency emergency, got urgent"},
      {"an unsaved .cases buffer is what runs", 2, "", replaced(cases_text, "expect urgency routine", "expect urgency emergency"),
       1, 0, 3, "PASS saddle numbness is routine"},
  };
  int rules_version = 1, cases_version = 1;
  for (const auto& row : rows) {
    SECTION(row.name) {
      if (!row.rules_buffer.empty()) open(client, red_uri, row.rules_buffer, ++rules_version);
      if (!row.cases_buffer.empty()) change(client, uri, row.cases_buffer, ++cases_version);
      auto [response, shown] = run(client, lenses[row.lens]["command"]);
      INFO(response.dump());
      REQUIRE(response.contains("result"));
      CHECK(response["result"]["passed"] == row.passed);
      CHECK(response["result"]["failed"] == row.failed);
      CHECK(shown["type"] == row.message_type);
      CHECK_THAT(shown["message"].get<std::string>(), Catch::Contains(row.says));
      for (const auto& result : response["result"]["cases"]) {
        CHECK(result["passed"] == result["failures"].empty());
      }
    }
  }

  SECTION("requests that cannot be carried out get JSON-RPC errors, and the server reads on") {
    struct Bad {
      std::string name;
      Json params;
      int code;
      std::string says;
    };
    const Bad bad[] = {
        {"unknown command", {{"command", "triage.nothing"}, {"arguments", Json::array({{{"uri", uri}}})}}, -32602, "unknown command"},
        {"no arguments", {{"command", "triage.runCase"}, {"arguments", Json::array()}}, -32602, "arguments"},
        {"a case that is gone", {{"command", "triage.runCase"}, {"arguments", Json::array({{{"uri", uri}, {"case", "renamed"}}})}},
         -32803, "no case \"renamed\""},
        {"a red flag that is gone", {{"command", "triage.showWitness"}, {"arguments", Json::array({{{"uri", red_uri}, {"flag", "flag_nope"}}})}},
         -32803, "no red flag `flag_nope`"},
    };
    for (const auto& row : bad) {
      INFO(row.name);
      Json response = client.request("workspace/executeCommand", row.params);
      REQUIRE(response.contains("error"));
      CHECK(response["error"]["code"] == row.code);
      CHECK_THAT(response["error"]["message"].get<std::string>(), Catch::Contains(row.says));
    }
    // Rules that do not load: nothing can run, and the answer says why.
    open(client, red_uri, replaced(red_text, "saddle_numbness -> refer emergency", "saddle_numbness -> refer"), ++rules_version);
    Json refused = client.request("workspace/executeCommand", {{"command", lenses[1]["command"]["command"]},
                                                               {"arguments", lenses[1]["command"]["arguments"]}});
    CHECK(refused["error"]["code"] == -32803);
    CHECK_THAT(refused["error"]["message"].get<std::string>(), Catch::Contains("do not load"));
    CHECK(client.request("textDocument/codeLens", {{"textDocument", text_document(uri)}})["result"].size() == 3);
  }
  client.request("shutdown", nullptr);
  client.notify("exit", nullptr);
  CHECK(client.wait_exit() == 0);
  CHECK(client.stray_output().empty());
}

TEST_CASE("lsp: each red flag's witness intake, pasted as a case, passes the rule-test runner", "[lsp]") {
  ShippedRulesCopy copy("lsp-lens-witness");
  std::filesystem::create_directories(copy.rules / "tests");
  const std::string red_flags = (copy.rules / "red_flags.rules").string(), red_uri = file_uri(red_flags);
  const std::string red_text = read_file(red_flags);
  LspClient client;
  client.initialize();
  open(client, red_uri, red_text);

  Json lenses = client.request("textDocument/codeLens", {{"textDocument", text_document(red_uri)}})["result"];
  std::size_t declared = 0;
  for (std::size_t at = red_text.find("\nred_flag "); at != std::string::npos; at = red_text.find("\nred_flag ", at + 1)) ++declared;
  REQUIRE(declared >= 40);
  REQUIRE(lenses.size() == declared);
  std::string pasted;
  std::vector<std::string> flags;
  for (const auto& lens : lenses) {
    REQUIRE(lens["command"]["title"] == "Show a witness intake");
    std::string flag = lens["command"]["arguments"][0]["flag"];
    // The lens sits on the red flag's name.
    std::size_t line = lens["range"]["start"]["line"];
    std::size_t start = 0;
    for (std::size_t i = 0; i < line; ++i) start = red_text.find('\n', start) + 1;
    CHECK(red_text.substr(start, std::string("red_flag ").size() + flag.size()) == "red_flag " + flag);
    auto [response, shown] = run(client, lens["command"]);
    INFO(flag << ": " << response.dump());
    REQUIRE(response.contains("result"));
    const Json& result = response["result"];
    CHECK(result["status"] == "fires");
    CHECK(shown["type"] == 3);
    CHECK_THAT(shown["message"].get<std::string>(), Catch::Contains("case \"red flag " + flag + " fires\""));
    // Valid answers only: the area question asks for at least one area.
    if (result["witness"]["answers"].contains("pain_areas")) CHECK(!result["witness"]["answers"]["pain_areas"].empty());
    pasted += "\n" + result["case"].get<std::string>();
    flags.push_back(flag);
  }
  // Every witness as a case in one file; the runner passes them all.
  const std::string cases_path = (copy.rules / "tests" / "witnesses.cases").string(), cases_uri = file_uri(cases_path);
  open(client, cases_uri, pasted);
  auto [all, shown] = run(client, {{"command", "triage.runCases"}, {"arguments", Json::array({{{"uri", cases_uri}}})}});
  INFO(shown.dump());
  CHECK(all["result"]["passed"] == flags.size());
  CHECK(all["result"]["failed"] == 0);
  CHECK(all["result"]["errors"].empty());

  SECTION("a red flag no intake makes fire: that is the finding") {
    std::string never = replaced(red_text, "red_flag flag_saddle_numbness: saddle_numbness ->",
                                 "red_flag flag_saddle_numbness: saddle_numbness and not saddle_numbness ->");
    change(client, red_uri, never, 2);
    auto [response, message] = run(client, {{"command", "triage.showWitness"},
                                            {"arguments", Json::array({{{"uri", red_uri}, {"flag", "flag_saddle_numbness"}}})}});
    INFO(response.dump());
    CHECK(response["result"]["status"] == "never");
    CHECK(message["type"] == 1);
    CHECK_THAT(message["message"].get<std::string>(), Catch::Contains("can never fire"));
  }
  client.request("shutdown", nullptr);
  client.notify("exit", nullptr);
  CHECK(client.wait_exit() == 0);
}

}  // namespace triage::test
