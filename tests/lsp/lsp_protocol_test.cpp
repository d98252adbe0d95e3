// `triage lsp` driven over stdio as an editor drives it: lifecycle, JSON-RPC errors, diagnostics
// for a whole rules folder with unsaved buffers, and every feature, on a copy of the shipped rules.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "lsp/lsp_client.hpp"
#include "ruletest/cases.hpp"
#include "support.hpp"

namespace triage::test {
namespace {

using namespace std::chrono_literals;

// Position (0-based line, UTF-16 column) of the `nth` occurrence of `needle` in `text`, plus `skip` bytes.
Json position_of(const std::string& text, const std::string& needle, std::size_t skip = 0, int nth = 1) {
  std::size_t at = std::string::npos;
  for (int i = 0; i < nth; ++i) at = text.find(needle, at == std::string::npos ? 0 : at + 1);
  REQUIRE(at != std::string::npos);
  at += skip;
  std::size_t line = 0, column = 0;
  for (std::size_t i = 0; i < at; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 0;
    } else {
      ++column;  // the shipped rules' names and keywords are ASCII
    }
  }
  return {{"line", line}, {"character", column}};
}

Json text_document(const std::string& uri) { return {{"uri", uri}}; }

bool is_diagnostics_for(const Json& m, const std::string& uri) {
  return m.contains("method") && m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri;
}

// The diagnostics of `uri` once one with `code` arrives.
Json diagnostic_with_code(LspClient& client, const std::string& uri, const std::string& code) {
  Json found;
  client.wait_for([&](const Json& m) {
    if (!is_diagnostics_for(m, uri)) return false;
    for (const auto& d : m["params"]["diagnostics"]) {
      if (d["code"] == code) {
        found = d;
        return true;
      }
    }
    return false;
  });
  return found;
}

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

TEST_CASE("lsp: bad messages get JSON-RPC errors and the server reads on", "[lsp]") {
  LspClient client;
  // Before initialize, requests are refused with ServerNotInitialized.
  client.send({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "textDocument/hover"}, {"params", Json::object()}});
  Json early = client.wait_for([](const Json& m) { return m.contains("id") && m["id"] == 1; });
  CHECK(early["error"]["code"] == -32002);
  client.initialize();
  struct Row {
    std::string name;
    std::string raw;       // a whole frame, or a body when it does not start with a header
    int code;
    Json id;               // expected id of the answer
  };
  const Row rows[] = {
      {"not JSON", "{\"jsonrpc\": \"2.0\", \"id\": 5, ", -32700, nullptr},
      {"no Content-Length", "Content-Type: x\r\n\r\n", -32700, nullptr},
      {"a batch", "[{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"shutdown\"}]", -32600, nullptr},
      {"not an object", "42", -32600, nullptr},
      {"wrong version", R"({"jsonrpc":"1.0","id":7,"method":"shutdown"})", -32600, 7},
      {"id of the wrong kind", R"({"jsonrpc":"2.0","id":{"a":1},"method":"shutdown"})", -32600, nullptr},
      {"unknown method", R"({"jsonrpc":"2.0","id":8,"method":"textDocument/prepareTypeHierarchy","params":{}})", -32601, 8},
      {"string id", R"({"jsonrpc":"2.0","id":"nine","method":"no/such","params":{}})", -32601, "nine"},
      {"missing params", R"({"jsonrpc":"2.0","id":10,"method":"textDocument/hover","params":{}})", -32602, 10},
      {"wrong param type", R"({"jsonrpc":"2.0","id":11,"method":"textDocument/hover","params":{"textDocument":{"uri":3},"position":{"line":0,"character":0}}})", -32602, 11},
      {"params not structured", R"({"jsonrpc":"2.0","id":12,"method":"textDocument/hover","params":"x"})", -32602, 12},
      {"second initialize", R"({"jsonrpc":"2.0","id":13,"method":"initialize","params":{}})", -32600, 13},
  };
  for (const auto& row : rows) {
    SECTION(row.name) {
      if (row.raw.rfind("Content-", 0) == 0) client.write_raw(row.raw);
      else client.send_body(row.raw);
      Json answer = client.wait_for([](const Json& m) { return m.contains("error"); });
      CHECK(answer["error"]["code"] == row.code);
      CHECK(answer["id"] == row.id);
      // Still serving: a good request is answered.
      Json symbols = client.request("workspace/symbol", {{"query", "x"}});
      CHECK(symbols.contains("result"));
    }
  }
  // Unknown notifications are ignored, as LSP asks.
  client.notify("$/setTrace", {{"value", "off"}});
  client.notify("no/such/notification", Json::object());
  CHECK(client.request("shutdown", nullptr)["result"].is_null());
  Json late = client.request("workspace/symbol", {{"query", ""}});
  CHECK(late["error"]["code"] == -32600);
  client.notify("exit", nullptr);
  CHECK(client.wait_exit() == 0);
  CHECK(client.stray_output().empty());
}

TEST_CASE("lsp: exit codes follow the protocol", "[lsp]") {
  struct Row {
    std::string name;
    bool shutdown, exit;
    int code;
  };
  const Row rows[] = {{"shutdown then exit", true, true, 0}, {"exit without shutdown", false, true, 1}, {"end of input", false, false, 1}};
  for (const auto& row : rows) {
    SECTION(row.name) {
      auto client = std::make_unique<LspClient>();
      client->initialize();
      if (row.shutdown) client->request("shutdown", nullptr);
      if (row.exit) {
        client->notify("exit", nullptr);
        CHECK(client->wait_exit() == row.code);
      }
      if (!row.exit) {
        client->close_input();  // the editor went away without a word
        CHECK(client->wait_exit() == row.code);
      }
    }
  }
}

TEST_CASE("lsp: diagnostics for the whole folder, unsaved buffers over disk", "[lsp]") {
  ShippedRulesCopy copy("lsp-diagnostics");
  const std::string red_flags = (copy.rules / "red_flags.rules").string(), facts = (copy.rules / "facts.rules").string();
  const std::string red_uri = file_uri(red_flags), facts_uri = file_uri(facts);
  const std::string red_text = read_file(red_flags), facts_text = read_file(facts);
  LspClient client;
  client.initialize();

  struct Row {
    std::string name;
    std::string from, to;      // the deliberate mistake in red_flags.rules
    std::string code;
    std::string at;            // where the diagnostic must start (first occurrence in the edited text)
    std::string replacement;   // the quick fix, when the hint says "did you mean"
  };
  const Row rows[] = {
      {"syntax", "red_flag flag_saddle_numbness: saddle_numbness -> refer emergency",
       "red_flag flag_saddle_numbness: saddle_numbness -> refer emergency\n  reasn \"x\"", "syntax", "reasn", "reason"},
      {"unknown tier", "saddle_numbness -> refer emergency", "saddle_numbness -> refer emergncy", "unknown-urgency", "emergncy", ""},
      {"unknown fact", "red_flag flag_saddle_numbness: saddle_numbness", "red_flag flag_saddle_numbness: sadle_numbness",
       "unknown-fact", "sadle_numbness", "saddle_numbness"},
      {"unknown value", "onset = sudden and tearing_pain", "onset = suden and tearing_pain", "unknown-value", "suden", "sudden"},
  };
  int version = 1;
  open(client, red_uri, red_text, version);
  // The clean folder: every file gets an empty list.
  client.wait_for([&](const Json& m) { return is_diagnostics_for(m, red_uri) && m["params"]["diagnostics"].empty(); });
  for (const auto& row : rows) {
    SECTION(row.name) {
      std::string broken = replaced(red_text, row.from, row.to);
      change(client, red_uri, broken, ++version);
      Json d = diagnostic_with_code(client, red_uri, row.code);
      Json expected = position_of(broken, row.at);
      CHECK(d["range"]["start"] == expected);
      CHECK(d["severity"] == 1);
      CHECK(d["source"] == "triage");
      if (!row.replacement.empty()) {
        REQUIRE(d["data"]["replacement"] == row.replacement);
        Json actions = client.request("textDocument/codeAction", {{"textDocument", text_document(red_uri)},
                                                                   {"range", d["range"]},
                                                                   {"context", {{"diagnostics", Json::array({d})}}}});
        REQUIRE(actions["result"].size() == 1);
        CHECK(actions["result"][0]["edit"]["changes"][red_uri][0]["newText"] == row.replacement);
        CHECK(actions["result"][0]["edit"]["changes"][red_uri][0]["range"] == d["range"]);
      }
      // Fixing the buffer clears it (the file on disk was never wrong).
      change(client, red_uri, red_text, ++version);
      client.wait_for([&](const Json& m) { return is_diagnostics_for(m, red_uri) && m["params"]["diagnostics"].empty(); });
    }
  }
  SECTION("an unsaved change in one file is seen by the files that use it") {
    // Renaming a fact in facts.rules (unsaved) breaks the red flags that read it.
    open(client, facts_uri, replaced(facts_text, "fact saddle_numbness:", "fact saddle_numb:"));
    Json d = diagnostic_with_code(client, file_uri(red_flags), "unknown-fact");
    CHECK(d["message"].get<std::string>().find("saddle_numbness") != std::string::npos);
    // Closing the buffer goes back to the file on disk.
    client.notify("textDocument/didClose", {{"textDocument", text_document(facts_uri)}});
    client.wait_for([&](const Json& m) { return is_diagnostics_for(m, red_uri) && m["params"]["diagnostics"].empty(); });
  }
  SECTION("a safety finding comes with its witness intake") {
    open(client, facts_uri, replaced(facts_text, "fact bladder_or_bowel_change: bool\n", "fact bladder_or_bowel_change: bool\n  default false\n"));
    Json d = diagnostic_with_code(client, red_uri, "red-flag-safety");
    CHECK(d["range"]["start"] == position_of(red_text, "flag_bladder_or_bowel_change"));
    std::string message = d["message"];
    CHECK(message.find("witness intake: {\"answers\": {") != std::string::npos);
    CHECK(d["data"]["witness"].get<std::string>().find("\"answers\"") != std::string::npos);
    // The code action writes it as a rule test, a new tests/witnesses.cases that parses.
    Json actions = client.request("textDocument/codeAction", {{"textDocument", text_document(red_uri)},
                                                               {"range", d["range"]},
                                                               {"context", {{"diagnostics", Json::array({d})}}}})["result"];
    REQUIRE(actions.size() == 1);
    const Json& changes = actions[0]["edit"]["documentChanges"];
    REQUIRE(changes.size() == 2);
    std::string cases_uri = file_uri((copy.rules / "tests" / "witnesses.cases").string());
    CHECK(changes[0]["kind"] == "create");
    CHECK(changes[0]["uri"] == cases_uri);
    std::string case_text = changes[1]["edits"][0]["newText"];
    CHECK_THAT(case_text, Catch::Contains("case \"witness: red-flag-safety at line"));
    CHECK_THAT(case_text, Catch::Contains("\n  answer age = "));
    Diagnostics malformed;
    CaseFile parsed = parse_cases("witnesses.cases", case_text, malformed);
    CHECK(malformed.empty());
    REQUIRE(parsed.cases.size() == 1);
    CHECK(parsed.cases[0].answers.size() >= 30);
  }
  SECTION("readability warnings on patient text") {
    std::string hard = "reason \"Notwithstanding considerable interdisciplinary deliberation regarding physiological "
                       "characteristics, contemporaneous neurological manifestations necessitate immediate evaluation.\"";
    std::string edited = red_text;
    auto at = edited.find("  reason \"New trouble peeing");
    auto end = edited.find("\n  sources", at);
    edited.replace(at, end - at, "  " + hard);
    change(client, red_uri, edited, ++version);
    Json d = diagnostic_with_code(client, red_uri, "readability");
    CHECK(d["severity"] == 2);
  }
  client.request("shutdown", nullptr);
  client.notify("exit", nullptr);
  CHECK(client.wait_exit() == 0);
  CHECK(client.stray_output().empty());
}

TEST_CASE("lsp: hover, definition, references, symbols and completion", "[lsp]") {
  ShippedRulesCopy copy("lsp-features");
  const std::string red_flags = (copy.rules / "red_flags.rules").string();
  const std::string uri = file_uri(red_flags), text = read_file(red_flags);
  const std::string suitability = (copy.rules / "suitability.rules").string();
  const std::string suit_uri = file_uri(suitability), suit_text = read_file(suitability);
  LspClient client;
  client.initialize();
  open(client, uri, text);
  open(client, suit_uri, suit_text);

  SECTION("hover") {
    struct Row {
      std::string name;
      std::string uri, text, needle;
      std::size_t skip;
      std::vector<std::string> says;
    };
    const std::vector<Row> rows = {
        {"fact", uri, text, "flag_saddle_numbness: saddle_numbness", 24,
         {"**fact** `saddle_numbness`: bool", "**Question:**", "**Read by:**", "red_flag `flag_saddle_numbness`"}},
        {"enum value", uri, text, "onset = sudden", 9, {"**value** `sudden` of fact `onset`", "**Label:**"}},
        {"red flag", uri, text, "red_flag flag_saddle_numbness", 10, {"**red_flag** `flag_saddle_numbness`", "**Tier:** emergency", "**Reason:**"}},
        {"source", uri, text, "sources \"001\"", 10, {"**source** \"001\"", "Back Pain"}},
        {"enum fact", uri, text, "onset = sudden", 1, {"enum {sudden", "**Values:**"}},
    };
    for (const auto& row : rows) {
      INFO(row.name);
      Json answer = client.request("textDocument/hover", {{"textDocument", text_document(row.uri)}, {"position", position_of(row.text, row.needle, row.skip)}});
      REQUIRE(answer["result"].is_object());
      std::string value = answer["result"]["contents"]["value"];
      for (const auto& words : row.says) CHECK_THAT(value, Catch::Contains(words));
    }
    // A technique from where a rule names it.
    std::size_t at = suit_text.find("-> avoid ");
    REQUIRE(at != std::string::npos);
    Json technique = client.request("textDocument/hover", {{"textDocument", text_document(suit_uri)}, {"position", position_of(suit_text, "-> avoid ", 9)}});
    if (technique["result"].is_object()) {
      std::string value = technique["result"]["contents"]["value"];
      bool technique_or_tag = value.find("**technique**") != std::string::npos || value.find("**tag**") != std::string::npos;
      CHECK(technique_or_tag);
      if (value.find("**technique**") != std::string::npos) CHECK_THAT(value, Catch::Contains("**Dose:**"));
    }
    // Nothing to say on a comment.
    CHECK(client.request("textDocument/hover", {{"textDocument", text_document(uri)}, {"position", {{"line", 0}, {"character", 3}}}})["result"].is_null());
  }

  SECTION("definition and references") {
    struct Row {
      std::string name, needle;
      std::size_t skip;
      std::string file;      // where the definition is
      std::string defines;   // text at the definition's start
      std::size_t at_least;  // references, the declaration included
    };
    const Row rows[] = {
        {"fact", "flag_saddle_numbness: saddle_numbness", 24, "facts.rules", "saddle_numbness", 3},
        {"value", "onset = sudden", 9, "facts.rules", "sudden", 3},
        {"red flag", "red_flag flag_saddle_numbness", 10, "red_flags.rules", "flag_saddle_numbness", 2},
        {"source", "sources \"001\"", 10, "sources.rules", "001", 3},
    };
    for (const auto& row : rows) {
      INFO(row.name);
      Json position = position_of(text, row.needle, row.skip);
      Json d = client.request("textDocument/definition", {{"textDocument", text_document(uri)}, {"position", position}})["result"];
      REQUIRE(d.is_object());
      CHECK(d["uri"] == file_uri((copy.rules / row.file).string()));
      std::string target = read_file((copy.rules / row.file).string());
      std::istringstream lines(target);
      std::string line;
      for (int i = 0; i <= d["range"]["start"]["line"].get<int>(); ++i) std::getline(lines, line);
      CHECK(line.substr(d["range"]["start"]["character"].get<std::size_t>(), row.defines.size()) == row.defines);
      Json refs = client.request("textDocument/references", {{"textDocument", text_document(uri)}, {"position", position}, {"context", {{"includeDeclaration", true}}}})["result"];
      CHECK(refs.size() >= row.at_least);
      Json without = client.request("textDocument/references", {{"textDocument", text_document(uri)}, {"position", position}, {"context", {{"includeDeclaration", false}}}})["result"];
      CHECK(without.size() == refs.size() - 1);
    }
  }

  SECTION("document and workspace symbols") {
    Json symbols = client.request("textDocument/documentSymbol", {{"textDocument", text_document(uri)}})["result"];
    REQUIRE(symbols.size() >= 40);
    bool found = false;
    for (const auto& s : symbols) found = found || (s["name"] == "flag_saddle_numbness" && s["detail"] == "red_flag");
    CHECK(found);
    Json everywhere = client.request("workspace/symbol", {{"query", "saddle"}})["result"];
    CHECK(everywhere.size() >= 2);
  }

  SECTION("completion in context") {
    struct Row {
      std::string name;
      std::string line;  // the text of a new line, typed at the end of the file; the cursor at its end
      std::vector<std::string> offers, lacks;
    };
    const Row rows[] = {
        {"tier after refer", "red_flag x: night_pain -> refer ", {"emergency", "urgent", "routine"}, {"night_pain"}},
        {"enum values", "red_flag x: onset = ", {"sudden", "gradual"}, {"emergency"}},
        {"set values", "red_flag x: pain_areas has any {", {"neck", "lower_back"}, {"sudden"}},
        {"facts in a condition", "red_flag x: sad", {"saddle_numbness", "night_pain"}, {}},
        {"declarations", "", {"red_flag", "technique", "fact"}, {}},
        {"sources", "  sources \"", {"001", "NHS: when to get help for back pain"}, {}},
        {"properties", "  ", {"reason", "sources"}, {"question"}},
    };
    int version = 1;
    for (const auto& row : rows) {
      INFO(row.name);
      std::string edited = text + "\n" + row.line;
      change(client, uri, edited, ++version);
      Json position = {{"line", std::count(edited.begin(), edited.end(), '\n')}, {"character", row.line.size()}};
      Json items = client.request("textDocument/completion", {{"textDocument", text_document(uri)}, {"position", position}})["result"];
      std::set<std::string> labels;
      for (const auto& item : items) labels.insert(item["label"].get<std::string>());
      for (const auto& label : row.offers) CHECK(labels.count(label) == 1);
      for (const auto& label : row.lacks) CHECK(labels.count(label) == 0);
    }
  }
  client.request("shutdown", nullptr);
  client.notify("exit", nullptr);
  CHECK(client.wait_exit() == 0);
}

TEST_CASE("lsp: formatting gives what `triage fmt` prints", "[lsp]") {
  ShippedRulesCopy copy("lsp-format");
  const std::string path = (copy.rules / "red_flags.rules").string(), uri = file_uri(path);
  std::string text = read_file(path);
  // Squash the layout: extra blank lines and a property indented oddly.
  std::string messy = replaced(replaced(text, "\n\nred_flag flag_saddle_numbness", "\n\n\n\nred_flag flag_saddle_numbness"),
                               "  reason \"Numbness or tingling", "      reason    \"Numbness or tingling");
  std::ofstream(path, std::ios::binary | std::ios::trunc) << messy;
  LspClient client;
  client.initialize();
  open(client, uri, messy);
  Json edits = client.request("textDocument/formatting", {{"textDocument", text_document(uri)}, {"options", {{"tabSize", 2}, {"insertSpaces", true}}}})["result"];
  REQUIRE(edits.size() == 1);
  CHECK(edits[0]["range"]["start"] == Json({{"line", 0}, {"character", 0}}));
  // `triage fmt` on the same file, as a rule author runs it.
  std::string command = std::string(TRIAGE_BINARY) + " fmt " + path;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe);
  std::string printed;
  char chunk[4096];
  while (std::size_t n = fread(chunk, 1, sizeof chunk, pipe)) printed.append(chunk, n);
  CHECK(pclose(pipe) == 0);
  CHECK(edits[0]["newText"] == printed);
  CHECK(printed == text);  // the shipped file is in canonical layout
  // Formatted text needs no edits; a syntax error refuses with a message.
  change(client, uri, text, 2);
  CHECK(client.request("textDocument/formatting", {{"textDocument", text_document(uri)}, {"options", Json::object()}})["result"].empty());
  change(client, uri, text + "\nred_flag broken: ->\n", 3);
  Json refused = client.request("textDocument/formatting", {{"textDocument", text_document(uri)}, {"options", Json::object()}});
  CHECK(refused["error"]["code"] == -32803);
}

TEST_CASE("lsp: a .cases file shows malformed lines and failing cases", "[lsp]") {
  ShippedRulesCopy copy("lsp-cases");
  std::filesystem::create_directories(copy.rules / "tests");
  const std::string path = (copy.rules / "tests" / "mine.cases").string(), uri = file_uri(path);
  const std::string good = "case \"saddle numbness is an emergency\"\n  answer saddle_numbness = true\n  expect outcome refer\n"
                           "  expect urgency emergency\n";
  LspClient client;
  client.initialize();
  open(client, uri, good);
  client.wait_for([&](const Json& m) { return is_diagnostics_for(m, uri) && m["params"]["diagnostics"].empty(); });
  struct Row {
    std::string name, text, code;
    std::size_t line;
  };
  const Row rows[] = {
      {"failing", replaced(good, "urgency emergency", "urgency routine"), "failing-tests", 0},
      {"malformed", good + "  expekt outcome refer\n", "case-syntax", 4},
  };
  int version = 1;
  for (const auto& row : rows) {
    INFO(row.name);
    change(client, uri, row.text, ++version);
    Json d = diagnostic_with_code(client, uri, row.code);
    CHECK(d["range"]["start"]["line"] == row.line);
  }
  // Hover and definition on the names a case uses.
  change(client, uri, good, ++version);
  struct Named {
    std::string needle;
    std::size_t skip;
    std::string says, defined_in;
  };
  const Named names[] = {{"answer saddle_numbness", 8, "**fact** `saddle_numbness`", "facts.rules"},
                         {"urgency emergency", 9, "", ""}};
  for (const auto& row : names) {
    INFO(row.needle);
    Json position = position_of(good, row.needle, row.skip);
    Json hover = client.request("textDocument/hover", {{"textDocument", text_document(uri)}, {"position", position}})["result"];
    Json definition = client.request("textDocument/definition", {{"textDocument", text_document(uri)}, {"position", position}})["result"];
    if (row.says.empty()) {
      CHECK(hover.is_null());  // `emergency` is a tier, not a declared name
      continue;
    }
    REQUIRE(hover.is_object());
    CHECK_THAT(hover["contents"]["value"].get<std::string>(), Catch::Contains(row.says));
    CHECK(definition["uri"] == file_uri((copy.rules / row.defined_in).string()));
  }
  Json items = client.request("textDocument/completion", {{"textDocument", text_document(uri)}, {"position", {{"line", 1}, {"character", 9}}}})["result"];
  bool offers_fact = false;
  for (const auto& item : items) offers_fact = offers_fact || item["label"] == "saddle_numbness";
  CHECK(offers_fact);
}

}  // namespace
}  // namespace triage::test
