// The audit log's canonical record is built straight from the Evaluation; it must carry exactly
// the ids of the Decision message the client gets. The oracle here reads them off the message.
#include <catch2/catch.hpp>

#include <cstdio>
#include <random>

#include "analyze/value_classes.hpp"
#include "api/decision_record.hpp"
#include "support.hpp"
#include "util/json_text.hpp"

namespace triage {
namespace {

std::string record_from_message(const v1::Decision& d) {
  auto ids = [](const auto& list, auto id) {
    std::string out = "[";
    for (int i = 0; i < list.size(); ++i) out += (i ? "," : "") + json_quote(id(list.Get(i)));
    return out + "]";
  };
  auto rule = [](const v1::Explanation& e) { return e.rule(); };
  std::string out = "{\"outcome\":" + json_quote(v1::Outcome_Name(d.outcome()));
  if (d.has_urgency()) out += ",\"urgency\":" + json_quote(v1::Urgency_Name(d.urgency()));
  out += ",\"red_flags\":" + ids(d.red_flags(), [](const v1::RedFlag& f) { return f.rule(); });
  out += ",\"missing\":" + ids(d.missing(), [](const std::string& s) { return s; });
  out += ",\"plan\":[";
  for (int i = 0; i < d.plan_size(); ++i) {
    out += (i ? ",{" : "{") + std::string("\"technique\":") + json_quote(d.plan(i).technique()) +
           ",\"why\":" + ids(d.plan(i).why(), rule) + ",\"cautions\":" + ids(d.plan(i).cautions(), rule) + "}";
  }
  out += "],\"excluded\":[";
  for (int i = 0; i < d.excluded_size(); ++i) {
    out += (i ? ",{" : "{") + std::string("\"technique\":") + json_quote(d.excluded(i).technique()) +
           ",\"reasons\":" + ids(d.excluded(i).reasons(), rule) + "}";
  }
  out += "],\"cautions\":" + ids(d.cautions(), rule);
  if (d.refine_size() > 0) out += ",\"refine\":" + ids(d.refine(), [](const std::string& s) { return s; });
  return out + "}";
}

}  // namespace

TEST_CASE("the canonical record carries the Decision's ids, for every kind of intake", "[api][audit]") {
  const CompiledRuleset& ruleset = test::shipped();
  std::mt19937 rng(11);
  int self_care = 0;
  for (int round = 0; round < 2000; ++round) {
    Answers answers;
    answers.values.assign(ruleset.model->facts.size(), 0);
    for (std::size_t f = 0; f < ruleset.model->facts.size(); ++f) {
      if (ruleset.model->facts[f].derived || rng() % 20 == 0) continue;  // a few left unanswered
      auto classes = value_classes(ruleset, static_cast<int>(f));
      // Mostly "no" to red-flag questions, so that many intakes reach a plan.
      bool calm = ruleset.red_flag_facts.test(f) && ruleset.model->facts[f].type == model::FactType::boolean;
      answers.values[f] = calm && rng() % 40 != 0 ? 0 : classes[rng() % classes.size()];
      answers.known.set(f);
    }
    Evaluation evaluation = evaluate(ruleset, answers);
    if (evaluation.outcome == Outcome::self_care) ++self_care;
    v1::Decision decision = to_decision_proto(ruleset, evaluation, "id", 0, "");
    REQUIRE(decision_record_json(ruleset, evaluation) == record_from_message(decision));
  }
  // Version 3's 40-odd red flags refer more random intakes; enough still reach a plan.
  CHECK(self_care > 20);  // the plan-building paths are exercised too
}

TEST_CASE("json_quote escapes exactly what a byte-by-byte scan escapes, wherever the byte falls", "[api][json]") {
  // append_json_quoted skips 8 plain bytes at a time; every special byte at every offset of a
  // word, among plain ASCII and UTF-8 bytes, must be escaped as the plain loop does it.
  auto reference = [](std::string_view text) {
    std::string out = "\"";
    for (char ch : text) {
      auto c = static_cast<unsigned char>(ch);
      if (c == '"') out += "\\\"";
      else if (c == '\\') out += "\\\\";
      else if (c == '\n') out += "\\n";
      else if (c == '\t') out += "\\t";
      else if (c == '\r') out += "\\r";
      else if (c < 0x20) {
        char buffer[8];
        std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
        out += buffer;
      } else out += ch;
    }
    return out + "\"";
  };
  const std::string specials = std::string("\"\\\n\t\r\x01\x1f", 7) + std::string(1, '\0');
  const std::string plains[] = {"abcdefghijklmnopqrstuvwx", "\xc3\xa9\xe2\x82\xac\x7f !#[]~\xff\x80 0123456789"};
  for (const auto& plain : plains) {
    for (char special : specials) {
      for (std::size_t at = 0; at <= plain.size(); ++at) {
        std::string text = plain;
        text.insert(at, 1, special);
        CHECK(json_quote(text) == reference(text));
        std::string doubled = text + text.substr(0, at % 9);
        CHECK(json_quote(doubled) == reference(doubled));
      }
    }
    CHECK(json_quote(plain) == reference(plain));
  }
  std::mt19937 random(29);
  for (int round = 0; round < 2000; ++round) {
    std::string text(random() % 40, ' ');
    for (char& c : text) c = static_cast<char>(random() % 4 == 0 ? random() % 0x24 : random() % 256);
    CHECK(json_quote(text) == reference(text));
    std::string appended = "prefix";
    append_json_quoted(appended, text);
    CHECK(appended == "prefix" + reference(text));
  }
}

}  // namespace triage
