#include "generated_rules.hpp"

#include <algorithm>
#include <random>

namespace triage::bench {
namespace {

constexpr int facts = 40;

// Fact i: i % 4 == 0 bool, 1 int 0..100, 2 enum of 4 values, 3 set of 6 values.
std::string fact_name(int i) { return "f" + std::to_string(i); }

std::string test_of(std::mt19937& rng, int depth);

std::string atom(std::mt19937& rng) {
  int f = std::uniform_int_distribution<int>(0, facts - 1)(rng);
  std::string name = fact_name(f);
  switch (f % 4) {
    case 0: return name;
    case 1: {
      static const char* ops[] = {"<", "<=", ">", ">=", "=", "!="};
      // Draws in a fixed order (the order of operands of `+` is unspecified: g++ and clang differ),
      // the one the pinned digests were made with.
      auto value = rng() % 101;
      auto op = rng() % 6;
      return name + " " + ops[op] + " " + std::to_string(value);
    }
    case 2: return name + " = v" + std::to_string(rng() % 4);
    default: return "s" + std::to_string(rng() % 6) + " in " + name;
  }
}

std::string test_of(std::mt19937& rng, int depth) {
  int shape = depth > 2 ? 0 : static_cast<int>(rng() % 4);
  switch (shape) {
    case 1: {
      std::string rest = test_of(rng, depth + 1);  // drawn first, as above
      return atom(rng) + " and " + rest;
    }
    case 2: {
      std::string rest = test_of(rng, depth + 1);
      return "(" + atom(rng) + " or " + rest + ")";
    }
    case 3: return "not " + atom(rng);
    default: return atom(rng);
  }
}

}  // namespace

std::string generated_ruleset(int rules, unsigned seed, GeneratedPath path) {
  const bool plan_path = path == GeneratedPath::plan;
  std::mt19937 rng(seed);
  std::string out;
  for (int i = 0; i < facts; ++i) {
    std::string name = fact_name(i);
    switch (i % 4) {
      case 0: out += "fact " + name + ": bool\n  question \"q\"\n"; break;
      case 1: out += "fact " + name + ": int 0..100\n  question \"q\"\n"; break;
      case 2: out += "fact " + name + ": enum {v0, v1, v2, v3}\n  question \"q\"\n"; break;
      default: out += "fact " + name + ": set of {s0, s1, s2, s3, s4, s5}\n  question \"q\"\n"; break;
    }
  }
  out += "fact kit: set of {k0, k1, k2}\n  question \"q\"\n  default {}\n";
  for (int t = 0; t < 4; ++t) out += "tag g" + std::to_string(t) + " \"tag\"\n";
  out += "plan\n  phases p0, p1, p2, p3\n  targeted p1\n  max_per_phase 3\n  max_total 10\n"
         "  equipment_fact kit\n  area_fact f3\n  reason \"r\"\n  sources \"s\"\n";
  for (int t = 0; t < 40; ++t) {
    out += "technique t" + std::to_string(t) + "\n  title \"T\"\n  phase p" + std::to_string(t % 4) + "\n  tags g" +
           std::to_string(t % 4) + "\n" + (t % 5 == 0 ? "  needs k" + std::to_string(t % 3) + "\n" : "") +
           "  targets s" + std::to_string(t % 6) + "\n  instructions \"i\"\n  dose \"d\"\n  sources \"s\"\n";
  }
  // f1 is an int 0..100, so this flag never fires: the plan path keeps a red flag to evaluate.
  if (plan_path) out += "red_flag never: f1 > 100 -> refer emergency\n  reason \"r\"\n  sources \"s\"\n";
  for (int r = 0; r < rules; ++r) {
    std::string condition = test_of(rng, 0);
    if (r % 10 == 0 && !plan_path) {
      static const char* tiers[] = {"routine", "urgent", "emergency"};
      out += "red_flag r" + std::to_string(r) + ": " + condition + " -> refer " + tiers[rng() % 3] + "\n";
    } else if (r % 10 == 0) {
      rng();  // the tier draw of the refer path, so that both paths share their conditions
      out += "rule r" + std::to_string(r) + ": " + condition + " -> caution\n";
    } else {
      std::string effect;
      switch (rng() % (plan_path ? 7 : 4)) {
        case 0: effect = "avoid tag g" + std::to_string(rng() % 4); break;
        case 1: effect = "avoid t" + std::to_string(rng() % 40); break;
        case 2: effect = "include t" + std::to_string(rng() % 40); break;
        case 3: effect = "caution"; break;
        case 4: effect = "caution on t" + std::to_string(rng() % 40); break;
        case 5: {  // two techniques of one phase (t % 4), the lower number first: no cycles
          int phase = static_cast<int>(rng() % 4);
          int a = static_cast<int>(rng() % 10), b = static_cast<int>(rng() % 10);
          if (a == b) b = (b + 1) % 10;
          effect = "order t" + std::to_string(4 * std::min(a, b) + phase) + " before t" +
                   std::to_string(4 * std::max(a, b) + phase);
          break;
        }
        default: {  // a later phase before an earlier one: no cycles
          int a = static_cast<int>(rng() % 4), b = static_cast<int>(rng() % 4);
          if (a == b) b = (b + 1) % 4;
          effect = "order phase p" + std::to_string(std::max(a, b)) + " before phase p" + std::to_string(std::min(a, b));
        }
      }
      out += "rule r" + std::to_string(r) + ": " + condition + " -> " + effect + "\n";
    }
    out += "  reason \"r\"\n  sources \"s\"\n";
  }
  return out;
}

std::vector<std::string> generated_intakes(int count, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::string> intakes;
  for (int n = 0; n < count; ++n) {
    std::string out = "{\"answers\": {";
    for (int i = 0; i < facts; ++i) {
      out += (i ? ", \"" : "\"") + fact_name(i) + "\": ";
      switch (i % 4) {
        case 0: out += rng() % 2 ? "true" : "false"; break;
        case 1: out += std::to_string(rng() % 101); break;
        case 2: out += "\"v" + std::to_string(rng() % 4) + "\""; break;
        default: {
          out += "[";
          bool first = true;
          for (int v = 0; v < 6; ++v) {
            if (rng() % 2) continue;
            out += (first ? "\"s" : ", \"s") + std::to_string(v) + "\"";
            first = false;
          }
          out += "]";
        }
      }
    }
    out += ", \"kit\": [\"k0\", \"k1\"]}}";
    intakes.push_back(out);
  }
  return intakes;
}

}  // namespace triage::bench
