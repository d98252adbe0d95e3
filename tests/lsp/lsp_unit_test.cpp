// The language server's parts in process: framing, positions, URIs, the symbol index and the
// features over the shipped rules.
#include <catch2/catch.hpp>

#include <sstream>

#include "parse/language.hpp"

#include "lsp/features.hpp"
#include "lsp/framing.hpp"
#include "lsp/index.hpp"
#include "lsp/server.hpp"
#include "lsp/text.hpp"
#include "lsp/uri.hpp"
#include "lsp/workspace.hpp"
#include "support.hpp"

namespace triage::lsp {
namespace {

TEST_CASE("lsp: frames are read by Content-Length, other headers ignored", "[lsp]") {
  struct Row {
    std::string input;
    FrameStatus status;
    std::string body;
  };
  const Row rows[] = {
      {"Content-Length: 2\r\n\r\n{}", FrameStatus::ok, "{}"},
      {"content-length: 2\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n[]", FrameStatus::ok, "[]"},
      {"Content-Type: x\r\n\r\n{}", FrameStatus::bad_header, "no Content-Length header"},
      {"Content-Length: abc\r\n\r\n", FrameStatus::bad_header, "Content-Length is not a number"},
      {"Content-Length: 12x\r\n\r\n", FrameStatus::bad_header, "Content-Length is not a number"},
      {"Content-Length: 99999999999\r\n\r\n", FrameStatus::bad_header, "Content-Length is larger than the server accepts"},
      {"Content-Length: 10\r\n\r\n{}", FrameStatus::end, ""},
      {"", FrameStatus::end, ""},
  };
  for (const auto& row : rows) {
    INFO(row.input);
    std::istringstream in(row.input);
    std::string body;
    CHECK(read_frame(in, body) == row.status);
    if (row.status != FrameStatus::end) CHECK(body == row.body);
  }
  std::istringstream two(frame("{\"a\":1}") + frame("[1]"));
  std::string body;
  REQUIRE(read_frame(two, body) == FrameStatus::ok);
  CHECK(body == "{\"a\":1}");
  REQUIRE(read_frame(two, body) == FrameStatus::ok);
  CHECK(body == "[1]");
}

TEST_CASE("lsp: positions count UTF-16 code units by default, bytes with utf-8", "[lsp]") {
  // "é" is 2 bytes, 1 UTF-16 unit; "😀" is 4 bytes, 2 units.
  const std::string text = "ab\n\"é😀\" x\nlast";
  struct Row {
    bool utf16;
    std::size_t offset;
    Position position;
  };
  const Row rows[] = {
      {true, 0, {0, 0}},  {true, 3, {1, 0}},  {true, 6, {1, 2}},  {true, 10, {1, 4}}, {true, 12, {1, 6}},
      {false, 6, {1, 3}}, {false, 10, {1, 7}}, {true, 17, {2, 3}},
  };
  for (const auto& row : rows) {
    INFO("offset " << row.offset << (row.utf16 ? " utf-16" : " utf-8"));
    TextIndex index(text, row.utf16);
    Position p = index.position(row.offset);
    CHECK(p.line == row.position.line);
    CHECK(p.character == row.position.character);
    CHECK(index.offset(row.position) == row.offset);
  }
  TextIndex index(text, true);
  CHECK(index.offset({0, 99}) == 2);  // past the end of a line: its end
  CHECK(index.offset({9, 0}) == text.size());
  CHECK(index.from_line_column(2, 2).character == 1);
  CHECK(token_at(text, 3) == std::pair<std::size_t, std::size_t>{3, 11});  // the whole string
  CHECK(token_at("a name_x.", 2) == std::pair<std::size_t, std::size_t>{2, 8});
  CHECK(name_at("a name_x.", 8) == std::pair<std::size_t, std::size_t>{2, 8});
}

TEST_CASE("lsp: file URIs and paths", "[lsp]") {
  CHECK(uri_to_path("file:///home/a%20b/r.rules") == "/home/a b/r.rules");
  CHECK(uri_to_path("file://localhost/x/y.rules") == "/x/y.rules");
  CHECK(uri_to_path("untitled:1").empty());
  CHECK(path_to_uri("/home/a b/r.rules") == "file:///home/a%20b/r.rules");
  CHECK(uri_to_path(path_to_uri("/tmp/ü #1/f.rules")) == "/tmp/ü #1/f.rules");
  CHECK(rules_folder_of("/r/red_flags.rules") == "/r");
  CHECK(rules_folder_of("/r/tests/x.cases") == "/r");
  CHECK(rules_folder_of("/r/notes.md").empty());
}

TEST_CASE("lsp: \"did you mean\" hints give the replacement a quick fix offers", "[lsp]") {
  CHECK(suggested_name("did you mean `night_pain`?") == "night_pain");
  CHECK(suggested_name("expected one of: a, b").empty());
  Json actions = code_actions("file:///r/a.rules",
                              Json::array({{{"range", {{"start", {{"line", 1}, {"character", 2}}}, {"end", {{"line", 1}, {"character", 5}}}}},
                                            {"message", "unknown"},
                                            {"data", {{"replacement", "age"}}}},
                                           {{"message", "no data"}}}));
  REQUIRE(actions.size() == 1);
  CHECK(actions[0]["edit"]["changes"]["file:///r/a.rules"][0]["newText"] == "age");
}

TEST_CASE("lsp: the symbol index knows declarations and uses across the shipped rule files", "[lsp]") {
  auto snapshot = read_folder(test::source_path("rules"), {});
  REQUIRE(snapshot->loaded.ruleset);
  const SymbolIndex& index = *snapshot->index;
  struct Row {
    std::string key;
    std::string file;  // of the definition
    std::size_t at_least;  // occurrences, the definition included
  };
  const Row rows[] = {
      {"fact:bladder_or_bowel_change", "facts.rules", 3},
      {"value:onset.sudden", "facts.rules", 3},
      {"technique:plank", "techniques.rules", 3},
      {"tag:foam_rolling", "tags.rules", 2},
      {"rule:flag_saddle_numbness", "red_flags.rules", 2},
      {"source:001", "sources.rules", 3},
      {"phase:warm_up", "plan.rules", 2},
      {"value:equipment.foam_roller", "facts.rules", 2},
  };
  for (const auto& row : rows) {
    INFO(row.key);
    const Definition* d = index.definition(row.key);
    REQUIRE(d);
    CHECK(d->where.file == row.file);
    CHECK(index.occurrences(row.key).size() >= row.at_least);
    const Occurrence* o = index.at(d->where.file, d->where.begin + 1);
    REQUIRE(o);
    CHECK(o->key == row.key);
  }
  CHECK(index.values_of("onset").front() == "sudden");
  CHECK(index.names(SymbolKind::rule).size() == snapshot->loaded.ruleset->model->red_flags.size() +
                                                    snapshot->loaded.ruleset->model->rules.size());
}

TEST_CASE("lsp: the server answers in process, and nothing but framed messages", "[lsp]") {
  std::vector<std::string> sent;
  {
    Server server([&](const std::string& body) { sent.push_back(body); }, ServerOptions{false});
    server.handle(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{"general":{"positionEncodings":["utf-8","utf-16"]}}}})");
    REQUIRE(sent.size() == 1);
    CHECK(Json::parse(sent[0])["result"]["capabilities"]["positionEncoding"] == "utf-8");
    server.handle(R"({"jsonrpc":"2.0","id":2,"method":"shutdown"})");
    server.handle(R"({"jsonrpc":"2.0","id":3,"method":"textDocument/hover","params":{}})");
    CHECK(Json::parse(sent.back())["error"]["code"] == rpc_error::invalid_request);
    server.handle(R"({"jsonrpc":"2.0","method":"exit"})");
    CHECK(server.exited());
    CHECK(server.exit_code() == 0);
  }
  std::istringstream in(frame(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}})") +
                        frame(R"({"jsonrpc":"2.0","method":"exit"})"));
  std::ostringstream out;
  CHECK(run_server(in, out, ServerOptions{false}) == 1);  // exit without shutdown
  std::istringstream replies(out.str());
  std::string body;
  REQUIRE(read_frame(replies, body) == FrameStatus::ok);
  CHECK(Json::parse(body)["id"] == 1);
  CHECK(read_frame(replies, body) == FrameStatus::end);
}

TEST_CASE("lsp: the VS Code grammar highlights every declaration word and property key", "[lsp]") {
  // One home for the vocabulary: src/parse/language.hpp. The grammar copies it; this keeps the copy.
  Json grammar = Json::parse(test::read_file(test::source_path("editors/vscode/syntaxes/triage.tmLanguage.json")));
  std::string declarations = grammar["repository"]["declaration"]["match"];
  std::string properties = grammar["repository"]["property"]["match"];
  auto listed = [](const std::string& pattern, std::string_view word) {
    std::string alternatives = pattern.substr(pattern.find('(') + 1, pattern.find(')') - pattern.find('(') - 1);
    std::string bar = "|" + alternatives + "|";
    return bar.find("|" + std::string(word) + "|") != std::string::npos;
  };
  for (auto word : language::declaration_words) {
    INFO(word);
    CHECK(listed(declarations, word));
  }
  for (const auto& row : language::property_keys) {
    INFO(row.key);
    CHECK(listed(properties, row.key));
  }
}

}  // namespace
}  // namespace triage::lsp
