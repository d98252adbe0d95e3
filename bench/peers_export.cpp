// Exports the generated rulesets (bench/generated_rules.hpp) for the peer engines of bench/peers/:
// per path and size, one JSON file with the facts, every red flag's and rule's condition as a tree
// (walked from the checked ruleset the project's parser and checker made: one home for the
// conditions), the generated intakes, the ids of the conditions that hold on each intake by our
// compiled programs, and our own time per decision on those intakes: evaluate() (plan built) on
// validated answers, and parse + validate + evaluate from the intake JSON.
// Usage: triage_peers_export OUT_DIR [--rules 100,500] [--runs 5] [--run-ms 300]
// (--run-ms 0 skips the timing). Writes OUT_DIR/<path>_<rules>.json; exits 1 on any failure.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "eval/evaluator.hpp"
#include "generated_rules.hpp"
#include "intake/intake.hpp"
#include "ruleset/loader.hpp"

namespace {

using nlohmann::json;
using triage::bench::GeneratedPath;
using triage::model::Cond;
using triage::model::FactType;

const char* compare_name(triage::model::CompareOp op) {
  switch (op) {
    case triage::model::CompareOp::eq: return "eq";
    case triage::model::CompareOp::ne: return "ne";
    case triage::model::CompareOp::lt: return "lt";
    case triage::model::CompareOp::le: return "le";
    case triage::model::CompareOp::gt: return "gt";
    default: return "ge";
  }
}

// The values of an enum or set fact named by a mask's bits.
json mask_values(const triage::model::Fact& fact, std::int64_t mask) {
  json values = json::array();
  for (std::size_t v = 0; v < fact.values.size(); ++v)
    if ((static_cast<std::uint64_t>(mask) >> v) & 1U) values.push_back(fact.values[v]);
  return values;
}

// A condition as a tree the peers translate. Nodes: {"and"|"or": [...]}, {"not": node},
// {"fact", "is": true} (bool), {"fact", "cmp": eq|ne|lt|le|gt|ge, "value": n} (int),
// {"fact", "any"|"all"|"none": [values]} (enum: one-of / none-of; set: contains any / all / none).
// Throws on a form the generated rules never use (derived facts, `always`).
json tree(const triage::model::Ruleset& ruleset, const Cond& cond) {
  auto fact = [&] { return ruleset.facts.at(static_cast<std::size_t>(cond.fact)); };
  switch (cond.kind) {
    case Cond::Kind::fact_true: return {{"fact", fact().id}, {"is", true}};
    case Cond::Kind::compare: return {{"fact", fact().id}, {"cmp", compare_name(cond.op)}, {"value", cond.number}};
    case Cond::Kind::mask_any: return {{"fact", fact().id}, {"any", mask_values(fact(), cond.number)}};
    case Cond::Kind::mask_all: return {{"fact", fact().id}, {"all", mask_values(fact(), cond.number)}};
    case Cond::Kind::mask_none: return {{"fact", fact().id}, {"none", mask_values(fact(), cond.number)}};
    case Cond::Kind::not_: return {{"not", tree(ruleset, cond.children.at(0))}};
    case Cond::Kind::and_:
    case Cond::Kind::or_: {
      json children = json::array();
      for (const auto& child : cond.children) children.push_back(tree(ruleset, child));
      return {{cond.kind == Cond::Kind::and_ ? "and" : "or", children}};
    }
    default: throw std::runtime_error("a condition form the peers export does not cover");
  }
}

json fact_json(const triage::model::Fact& fact) {
  switch (fact.type) {
    case FactType::boolean: return {{"id", fact.id}, {"type", "bool"}};
    case FactType::integer: return {{"id", fact.id}, {"type", "int"}, {"low", fact.low}, {"high", fact.high}};
    case FactType::enumeration: return {{"id", fact.id}, {"type", "enum"}, {"values", fact.values}};
    default: return {{"id", fact.id}, {"type", "set"}, {"values", fact.values}};
  }
}

// Median microseconds per decision over `runs` runs of about `run_ms` each, cycling the inputs:
// `decide(input)` returns the Evaluation.
template <typename Input, typename Decide>
json time_ours(const std::vector<Input>& inputs, int runs, int run_ms, Decide decide) {
  using clock = std::chrono::steady_clock;
  for (const auto& input : inputs) {  // warm-up
    if (decide(input).outcome == triage::Outcome::incomplete) std::abort();
  }
  std::vector<double> per_run;
  std::size_t sink = 0;
  for (int run = 0; run < runs; ++run) {
    std::size_t decisions = 0;
    auto start = clock::now(), deadline = start + std::chrono::milliseconds(run_ms);
    auto now = start;
    while (now < deadline) {
      for (const auto& input : inputs) {
        triage::Evaluation evaluation = decide(input);
        sink += evaluation.plan.size() + evaluation.red_flags.size();
      }
      decisions += inputs.size();
      now = clock::now();
    }
    per_run.push_back(std::chrono::duration<double, std::micro>(now - start).count() / static_cast<double>(decisions));
  }
  std::vector<double> sorted = per_run;
  std::sort(sorted.begin(), sorted.end());
  return {{"us_per_decision", sorted[sorted.size() / 2]}, {"runs_us", per_run}, {"sink", sink % 2}};
}

std::vector<int> parse_sizes(const std::string& text) {
  std::vector<int> sizes;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) sizes.push_back(std::stoi(item));
  return sizes;
}

// Builds and writes one set; returns an error message, or "" on success.
std::string export_set(const std::string& out_dir, GeneratedPath path, int rules, int runs, int run_ms) {
  const char* path_name = path == GeneratedPath::plan ? "plan" : "refer";
  auto loaded = triage::load_ruleset_from_texts(
      {{"generated.rules", triage::bench::generated_ruleset(rules, 42, path)}});
  if (!loaded.ruleset) return "the generated ruleset does not load";
  const triage::CompiledRuleset& compiled = *loaded.ruleset;
  const triage::model::Ruleset& model = *compiled.model;

  json out;
  out["path"] = path_name;
  out["rules"] = rules;
  out["facts"] = json::array();
  for (const auto& fact : model.facts) out["facts"].push_back(fact_json(fact));
  out["conditions"] = json::array();
  for (const auto& flag : model.red_flags)
    out["conditions"].push_back({{"id", flag.id}, {"kind", "red_flag"}, {"when", tree(model, flag.condition)}});
  for (const auto& rule : model.rules)
    out["conditions"].push_back({{"id", rule.id}, {"kind", "rule"}, {"when", tree(model, rule.condition)}});

  const auto expected = path == GeneratedPath::plan ? triage::Outcome::self_care : triage::Outcome::refer;
  std::vector<triage::Answers> intakes;
  std::vector<std::vector<triage::RawAnswer>> raws;
  std::vector<triage::Truth> atoms(compiled.atoms.size());
  out["intakes"] = json::array();
  out["fired"] = json::array();
  const std::vector<std::string> texts = triage::bench::generated_intakes(256);
  for (const auto& text : texts) {
    std::vector<triage::RawAnswer> raw;
    std::string error;
    if (!triage::parse_intake_json(text, raw, error)) return "a generated intake does not parse: " + error;
    auto validated = triage::validate_answers(compiled, raw);
    intakes.push_back(validated.answers);
    raws.push_back(raw);
    const triage::Answers& answers = intakes.back();
    out["intakes"].push_back(json::parse(text)["answers"]);

    // Which conditions hold, by the compiled postfix programs; then the evaluator's own account
    // (its circuit of gates) must agree: red flags on the refer path, suitability rules on the plan path.
    triage::compute_atoms(compiled, answers.values, answers.known, atoms.data());
    json fired = json::array();
    std::vector<int> flags_true, rules_true;
    for (std::size_t i = 0; i < compiled.red_flags.size(); ++i) {
      auto truth = triage::run_program(compiled, compiled.red_flags[i].condition, atoms.data());
      if (truth == triage::Truth::unknown) return "a red flag is unknown on a complete intake";
      if (truth == triage::Truth::true_) {
        flags_true.push_back(static_cast<int>(i));
        fired.push_back(model.red_flags[i].id);
      }
    }
    for (std::size_t i = 0; i < compiled.rules.size(); ++i) {
      auto truth = triage::run_program(compiled, compiled.rules[i].condition, atoms.data());
      if (truth == triage::Truth::unknown) return "a rule is unknown on a complete intake";
      if (truth == triage::Truth::true_) {
        rules_true.push_back(static_cast<int>(i));
        fired.push_back(model.rules[i].id);
      }
    }
    triage::Evaluation evaluation = triage::evaluate(compiled, answers);
    if (evaluation.outcome != expected) return "an intake does not take the path named";
    std::vector<int> flags = evaluation.red_flags, fired_rules = evaluation.fired_rules;
    std::sort(flags.begin(), flags.end());
    std::sort(fired_rules.begin(), fired_rules.end());
    if (flags != flags_true) return "evaluate() and the red flags' programs disagree";
    if (path == GeneratedPath::plan && fired_rules != rules_true) return "evaluate() and the rules' programs disagree";
    out["fired"].push_back(fired);
  }
  if (run_ms > 0) {
    // evaluate() on validated answers (the figure the peers are compared with), and the same from
    // the intake's JSON text (parse, validate, evaluate), as the peers take a JS object.
    out["ours"] = time_ours(intakes, runs, run_ms,
                            [&](const triage::Answers& answers) { return triage::evaluate(compiled, answers); });
    out["ours_from_raw"] = time_ours(raws, runs, run_ms, [&](const std::vector<triage::RawAnswer>& raw) {
      return triage::evaluate(compiled, triage::validate_answers(compiled, raw).answers);
    });
    out["ours_from_json"] = time_ours(texts, runs, run_ms, [&](const std::string& text) {
      std::vector<triage::RawAnswer> raw;
      std::string error;
      triage::parse_intake_json(text, raw, error);
      return triage::evaluate(compiled, triage::validate_answers(compiled, raw).answers);
    });
  }

  std::string file = out_dir + "/" + path_name + "_" + std::to_string(rules) + ".json";
  std::ofstream stream(file);
  stream << out.dump() << '\n';
  if (!stream) return "cannot write " + file;
  std::fprintf(stderr, "wrote %s\n", file.c_str());
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: triage_peers_export OUT_DIR [--rules 100,500] [--runs 5] [--run-ms 300]\n");
    return 2;
  }
  std::string out_dir = argv[1];
  std::vector<int> sizes = {100, 500};
  int runs = 5, run_ms = 300;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--rules") sizes = parse_sizes(value);
    else if (flag == "--runs") runs = std::max(1, std::stoi(value));
    else if (flag == "--run-ms") run_ms = std::stoi(value);
    else {
      std::fprintf(stderr, "unknown option %s\n", flag.c_str());
      return 2;
    }
  }
  std::filesystem::create_directories(out_dir);
  for (GeneratedPath path : {GeneratedPath::refer, GeneratedPath::plan}) {
    for (int rules : sizes) {
      std::string error;
      try {
        error = export_set(out_dir, path, rules, runs, run_ms);
      } catch (const std::exception& e) {
        error = e.what();
      }
      if (!error.empty()) {
        std::fprintf(stderr, "%s, %d rules: %s\n", path == GeneratedPath::plan ? "plan" : "refer", rules, error.c_str());
        return 1;
      }
    }
  }
  return 0;
}
