// The one option parser of the subcommands, `triage <command> --help`, and `eval` over JSONL.
#include <catch2/catch.hpp>

#include <sstream>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "support.hpp"

namespace triage {

TEST_CASE("the option parser knows flags, valued options and positionals", "[cli][options]") {
  const cli::CommandSpec spec{"demo", "usage: demo\n", {"--strict", "-w"}, {"--rules", "--format"}, true};
  struct Case {
    std::vector<std::string> args;
    std::string error;  // empty: parses
    std::string rules;
    bool strict;
    std::vector<std::string> positionals;
  };
  auto c = GENERATE(values<Case>({
      {{}, "", "", false, {}},
      {{"--rules", "r", "--strict"}, "", "r", true, {}},
      {{"--strict", "--rules", "r"}, "", "r", true, {}},  // a flag never swallows the next word
      {{"--rules=r", "a.cases", "-w"}, "", "r", false, {"a.cases"}},
      {{"-", "--rules", "-"}, "", "-", false, {"-"}},      // "-" is stdin, as an argument or a value
      {{"--", "--strict"}, "", "", false, {"--strict"}},   // after "--" everything is an argument
      {{"--rules"}, "option --rules needs a value", "", false, {}},
      {{"--strict=yes"}, "option --strict takes no value", "", false, {}},
      {{"--colour", "red"}, "unknown option --colour", "", false, {}},
  }));
  cli::Options options = cli::parse_options(c.args, spec);
  CHECK(options.error == c.error);
  if (c.error.empty()) {
    CHECK(options.get("--rules", "") == c.rules);
    CHECK(options.flag("--strict") == c.strict);
    CHECK(options.positionals == c.positionals);
  }
  cli::CommandSpec strict_spec = spec;
  strict_spec.positionals = false;
  CHECK(cli::parse_options({"file"}, strict_spec).error == "unexpected argument file");
}

TEST_CASE("old spellings are hidden aliases of the one spelling per concept", "[cli][options]") {
  cli::CommandSpec load{"loadgen", "usage", {}, {"--server", "--duration"}};
  cli::Options options = cli::parse_options({"--target", "127.0.0.1:1", "--duration=2"}, load);
  CHECK(options.error.empty());
  CHECK(options.get("--server", "") == "127.0.0.1:1");
  cli::CommandSpec ship{"audit ship", "usage", {}, {"--replica"}};
  CHECK(cli::parse_options({"--replica-id", "r1"}, ship).get("--replica", "") == "r1");
  // An alias is only accepted where its canonical option is.
  cli::CommandSpec other{"eval", "usage", {}, {"--rules"}};
  CHECK(cli::parse_options({"--target", "x"}, other).error == "unknown option --target");
}

TEST_CASE("every command prints its usage for --help and exits 0", "[cli][options]") {
  using Command = int (*)(const std::vector<std::string>&, cli::Io);
  struct Case {
    Command command;
    std::string usage;
  };
  auto c = GENERATE(values<Case>({
      {cli::run_check, "usage: triage check"},
      {cli::run_eval, "usage: triage eval"},
      {cli::run_schema, "usage: triage schema"},
      {cli::run_serve, "usage: triage serve"},
      {cli::run_call, "usage: triage call"},
      {cli::run_reload, "usage: triage reload"},
      {cli::run_fmt, "usage: triage fmt"},
      {cli::run_test, "usage: triage test"},
      {cli::run_loadgen, "usage: triage loadgen"},
      {cli::run_audit, "usage: triage audit verify"},
  }));
  for (std::vector<std::string> args : {std::vector<std::string>{"--help"}, {"--bogus", "-h"}}) {
    if (c.command == cli::run_audit) args.insert(args.begin(), "verify");
    std::istringstream in;
    std::ostringstream out, err;
    CHECK(c.command(args, cli::Io{in, out, err}) == 0);
    CHECK(out.str().rfind(c.usage, 0) == 0);
    CHECK(err.str().empty());
  }
}

TEST_CASE("eval over JSONL: one decision per line, errors with their line number", "[cli][eval]") {
  std::string intakes = test::read_file(test::source_path("rules/examples/self_care_lower_back.json"));
  intakes.erase(std::remove(intakes.begin(), intakes.end(), '\n'), intakes.end());
  std::string input = intakes + "\n\n{\"answers\": {\"pain_intensity\": 12}}\n{\n" +
                      R"({"answers": {"bladder_or_bowel_change": true}})" + "\n";
  std::istringstream in(input);
  std::ostringstream out, err;
  int code = cli::run_eval({"--rules", test::source_path("rules"), "--intake", "-", "--jsonl"}, cli::Io{in, out, err});
  CHECK(code == 2);  // some lines were invalid
  std::vector<std::string> lines;
  std::istringstream printed(out.str());
  for (std::string line; std::getline(printed, line);) lines.push_back(line);
  REQUIRE(lines.size() == 4);  // the blank line 2 is skipped
  CHECK(lines[0].find("\"outcome\":\"self_care\"") != std::string::npos);
  CHECK(lines[1].rfind("{\"line\":3,\"errors\":[\"invalid answer: `pain_intensity` expects a whole number", 0) == 0);
  CHECK(lines[2].rfind("{\"line\":4,\"errors\":[", 0) == 0);
  CHECK(lines[3].find("\"outcome\":\"refer\"") != std::string::npos);
}

}  // namespace triage
