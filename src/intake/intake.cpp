#include "intake/intake.hpp"

#include <bit>

#include <cmath>
#include <cstdio>

#include "util/suggest.hpp"

namespace triage {
namespace {

std::string describe(const RawAnswer& answer) {
  switch (answer.kind) {
    case RawAnswer::Kind::boolean: return answer.boolean ? "true" : "false";
    case RawAnswer::Kind::number: {
      if (!answer.number_text.empty()) {
        return answer.number_text.size() <= 24 ? answer.number_text : answer.number_text.substr(0, 24) + "…";
      }
      double integral;
      if (std::modf(answer.number, &integral) == 0.0 && std::fabs(answer.number) < 1e15) {
        return std::to_string(static_cast<long long>(answer.number));
      }
      char buffer[32];
      std::snprintf(buffer, sizeof buffer, "%g", answer.number);
      return buffer;
    }
    case RawAnswer::Kind::text: return "\"" + answer.text + "\"";
    case RawAnswer::Kind::list: return "a list";
  }
  return "?";
}

std::string joined(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& value : values) out += (out.empty() ? "" : ", ") + value;
  return out;
}

std::string expectation(const model::Fact& fact) {
  switch (fact.type) {
    case model::FactType::boolean: return "true or false";
    case model::FactType::integer:
      return "a whole number from " + std::to_string(fact.low) + " to " + std::to_string(fact.high);
    case model::FactType::enumeration: return "one of " + joined(fact.values);
    case model::FactType::set: return "a list of values from " + joined(fact.values);
  }
  return "";
}

int value_index(const model::Fact& fact, const std::string& value) {
  for (std::size_t i = 0; i < fact.values.size(); ++i) {
    if (fact.values[i] == value) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

IntakeResult validate_answers(const CompiledRuleset& ruleset, const std::vector<RawAnswer>& raw) {
  const model::Ruleset& model = *ruleset.model;
  IntakeResult result;
  result.answers.values.assign(model.facts.size(), 0);
  for (const auto& answer : raw) {
    auto refuse = [&](std::string message) { result.errors.push_back({answer.fact, std::move(message)}); };
    int index = model.find_fact(answer.fact);
    if (index < 0) {
      // The names a hint may suggest, gathered only for a refusal (this runs on every request).
      std::vector<std::string> answerable;
      for (const auto& known : model.facts) {
        if (!known.derived) answerable.push_back(known.id);
      }
      std::string hint = did_you_mean(answer.fact, answerable);
      refuse("unknown fact `" + answer.fact + "`" + (hint.empty() ? "" : "; " + hint));
      continue;
    }
    const model::Fact& fact = model.facts[index];
    if (fact.derived) {
      refuse("`" + fact.id + "` is worked out from other answers and cannot be answered directly");
      continue;
    }
    auto wrong = [&]() { refuse("`" + fact.id + "` expects " + expectation(fact) + ", got " + describe(answer)); };
    model::FactValue value = 0;
    switch (fact.type) {
      case model::FactType::boolean:
        if (answer.kind != RawAnswer::Kind::boolean) { wrong(); continue; }
        value = answer.boolean ? 1 : 0;
        break;
      case model::FactType::integer: {
        double integral;
        // A whole number is written as one: 4.0 or 4e0 is refused like 4.5 (a kiosk that sends it
        // has a bug worth seeing).
        bool written_whole = answer.number_text.find_first_of(".eE") == std::string::npos;
        if (answer.kind != RawAnswer::Kind::number || !written_whole || std::modf(answer.number, &integral) != 0.0 ||
            answer.number < static_cast<double>(fact.low) || answer.number > static_cast<double>(fact.high)) {
          wrong();
          continue;
        }
        value = static_cast<model::FactValue>(answer.number);
        break;
      }
      case model::FactType::enumeration: {
        int position = answer.kind == RawAnswer::Kind::text ? value_index(fact, answer.text) : -1;
        if (position < 0) { wrong(); continue; }
        value = static_cast<model::FactValue>(std::uint64_t{1} << position);
        break;
      }
      case model::FactType::set: {
        if (answer.kind != RawAnswer::Kind::list) { wrong(); continue; }
        std::uint64_t bits = 0;
        bool ok = true;
        for (const auto& member : answer.list) {
          int position = value_index(fact, member);
          if (position < 0) {
            refuse("`" + fact.id + "` expects " + expectation(fact) + "; \"" + member + "\" is not one of them");
            ok = false;
            break;
          }
          bits |= std::uint64_t{1} << position;
        }
        if (!ok) continue;
        if (std::popcount(bits) < fact.min_choices) {
          refuse("`" + fact.id + "` expects at least " + std::to_string(fact.min_choices) +
                 (fact.min_choices == 1 ? " value" : " values") + " from " + joined(fact.values) + ", got " +
                 (bits == 0 ? std::string("none") : std::to_string(std::popcount(bits))));
          continue;
        }
        value = static_cast<model::FactValue>(bits);
        break;
      }
    }
    result.answers.values[index] = value;
    result.answers.known.set(static_cast<std::size_t>(index));
  }
  return result;
}

}  // namespace triage
