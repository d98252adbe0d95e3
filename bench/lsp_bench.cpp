// `triage lsp` latency (issue 27): how long after a one-character change in the editor the
// diagnostics are published, and how long a code lens' command takes, for the shipped rules (run
// from the repository root, or set TRIAGE_RULES). The server runs in process; the message bodies it sends are dropped. p50 and p99
// over the iterations are reported as counters (milliseconds).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lsp/server.hpp"

namespace {

std::string rules_file() {
  const char* folder = std::getenv("TRIAGE_RULES");
  return std::filesystem::absolute(std::string(folder ? folder : "rules") + "/red_flags.rules").string();
}

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void percentiles(benchmark::State& state, std::vector<double>& ms) {
  if (ms.empty()) return;
  std::sort(ms.begin(), ms.end());
  state.counters["p50_ms"] = ms[ms.size() / 2];
  state.counters["p99_ms"] = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
}

// didChange of red_flags.rules with one letter of a reason changed, cycling through 26 letters so
// that no two neighbouring states are equal (and the analysis cache, 16 entries, never hits).
struct Editor {
  explicit Editor(bool analysis)
      : server([this](const std::string&) { ++messages; }, triage::lsp::ServerOptions{analysis}),
        uri("file://" + rules_file()), text(read(rules_file())) {
    at = text.find("reason \"") + 9;
    server.handle(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}})");
    server.handle(nlohmann::json({{"jsonrpc", "2.0"}, {"method", "textDocument/didOpen"},
                                  {"params", {{"textDocument", {{"uri", uri}, {"languageId", "triage"}, {"version", 1}, {"text", text}}}}}})
                      .dump());
    server.wait_for_analysis();
  }
  // One keystroke's message, prepared before timing.
  std::string change() {
    text[at] = static_cast<char>('a' + (version % 26));
    ++version;
    return nlohmann::json({{"jsonrpc", "2.0"}, {"method", "textDocument/didChange"},
                           {"params", {{"textDocument", {{"uri", uri}, {"version", version}}}, {"contentChanges", {{{"text", text}}}}}}})
        .dump();
  }

  long messages = 0;
  triage::lsp::Server server;
  std::string uri, text;
  std::size_t at = 0;
  int version = 1;
};

// Parse, check, readability, governance and publishing for the whole folder (9 files): what the
// author sees before the analysis ends.
void BM_LspDiagnosticsAfterChange(benchmark::State& state) {
  Editor editor(false);
  std::vector<double> ms;
  for (auto _ : state) {
    state.PauseTiming();
    std::string message = editor.change();
    state.ResumeTiming();
    auto start = std::chrono::steady_clock::now();
    editor.server.handle(message);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  percentiles(state, ms);
}
BENCHMARK(BM_LspDiagnosticsAfterChange)->Unit(benchmark::kMillisecond)->MinTime(3.0);

// The same, until the safety analysis' findings are published too (worker thread).
void BM_LspFindingsAfterChange(benchmark::State& state) {
  Editor editor(true);
  std::vector<double> ms;
  for (auto _ : state) {
    state.PauseTiming();
    std::string message = editor.change();
    state.ResumeTiming();
    auto start = std::chrono::steady_clock::now();
    editor.server.handle(message);
    editor.server.wait_for_analysis();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  percentiles(state, ms);
}
BENCHMARK(BM_LspFindingsAfterChange)->Unit(benchmark::kMillisecond)->MinTime(5.0);

// One code lens' command (workspace/executeCommand), until its answer and message are sent.
// `arguments` cycles through the lenses to run, so p50/p99 cover all of them.
void run_lenses(benchmark::State& state, const std::vector<nlohmann::json>& commands) {
  Editor editor(false);
  std::vector<double> ms;
  std::size_t next = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::string message = nlohmann::json({{"jsonrpc", "2.0"}, {"id", 2}, {"method", "workspace/executeCommand"},
                                          {"params", commands[next++ % commands.size()]}})
                              .dump();
    state.ResumeTiming();
    auto start = std::chrono::steady_clock::now();
    editor.server.handle(message);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  percentiles(state, ms);
}

std::string cases_uri() {
  return "file://" + std::filesystem::path(rules_file()).parent_path().string() + "/tests/red_flags.cases";
}

// "Run test" on one case of the shipped tests/red_flags.cases (read from disk), and "Run all
// tests in this file" on it: the rule-test runner on the folder's rules as the editor holds them.
void BM_LspRunTestLens(benchmark::State& state) {
  run_lenses(state, {{{"command", "triage.runCase"},
                      {"arguments", nlohmann::json::array({{{"uri", cases_uri()}, {"case", "saddle numbness is an emergency (possible cauda equina)"}}})}}});
}
BENCHMARK(BM_LspRunTestLens)->Unit(benchmark::kMillisecond)->MinTime(3.0);

void BM_LspRunFileLens(benchmark::State& state) {
  run_lenses(state, {{{"command", "triage.runCases"}, {"arguments", nlohmann::json::array({{{"uri", cases_uri()}}})}}});
}
BENCHMARK(BM_LspRunFileLens)->Unit(benchmark::kMillisecond)->MinTime(3.0);

// "Show a witness intake" on each red flag of the shipped rules in turn (the analysis' search for
// that flag, the decision on its witness, the case text).
void BM_LspWitnessLens(benchmark::State& state) {
  std::string text = read(rules_file());
  std::vector<nlohmann::json> commands;
  for (std::size_t at = text.find("\nred_flag "); at != std::string::npos; at = text.find("\nred_flag ", at + 1)) {
    std::size_t begin = at + 10, end = text.find(':', begin);
    commands.push_back({{"command", "triage.showWitness"},
                        {"arguments", nlohmann::json::array({{{"uri", "file://" + rules_file()}, {"flag", text.substr(begin, end - begin)}}})}});
  }
  run_lenses(state, commands);
}
BENCHMARK(BM_LspWitnessLens)->Unit(benchmark::kMillisecond)->MinTime(3.0);

}  // namespace
