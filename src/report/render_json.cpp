// The report's figures as JSON (report/render.hpp).
#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "report/render.hpp"

namespace triage::report {
namespace {

using Json = nlohmann::ordered_json;

// A count as shown: the number, or null when suppressed.
Json count(const ReportOptions& o, std::int64_t n) {
  std::int64_t s = shown(o, n);
  return s < 0 ? Json(nullptr) : Json(s);
}

// A share rounded to 4 decimals (stable in golden files); null when either count is suppressed or
// there is nothing to divide by.
Json share(const ReportOptions& o, std::int64_t x, std::int64_t n) {
  if (n <= 0 || shown(o, x) < 0 || shown(o, n) < 0) return nullptr;
  return std::round(10000.0 * x / n) / 10000.0;
}

Json mix_json(const ReportOptions& o, const Mix& mix) {
  Json out = Json::object();
  for (int c = 0; c < category_count; ++c) out[category_name(static_cast<Category>(c))] = count(o, mix[c]);
  return out;
}

std::int64_t total(const Mix& mix) {
  std::int64_t sum = 0;
  for (auto n : mix) sum += n;
  return sum;
}

// (id, count) pairs, largest first then by id; at most `limit` (0: all).
template <typename Counts>
std::vector<std::pair<std::string, std::int64_t>> ranked(const Counts& counts, std::size_t limit) {
  std::vector<std::pair<std::string, std::int64_t>> out(counts.begin(), counts.end());
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  if (limit > 0 && out.size() > limit) out.resize(limit);
  return out;
}

const char* tier_names[] = {"none", "routine", "urgent", "emergency"};

}  // namespace

std::string render_json(const Figures& f) {
  const ReportOptions& o = f.options;
  const Tally& t = f.tally;
  Json j;
  j["report"] = "triage audit report";
  j["schema"] = 1;
  j["source"] = f.source_kind;
  j["period"] = {{"from", o.from}, {"to", o.to}, {"first_decision_at", t.first_at}, {"last_decision_at", t.last_at}};
  j["replica"] = o.replica;
  j["small_counts"] = {{"below", o.small_count}, {"suppressed", !o.show_small_counts}};

  bool ok = t.sequence_gaps == 0 && t.unreadable == 0;
  Json sources = Json::array();
  for (const SourceIntegrity& s : f.integrity) {
    ok = ok && s.problem.empty();
    sources.push_back({{"source", s.source},
                       {"ok", s.problem.empty()},
                       {"chain_ok", s.chain_ok},
                       {"verified", s.verified},
                       {"head_hash", s.head_hash},
                       {"broken_seq", s.broken_seq},
                       {"problem", s.problem},
                       {"checkpoints", s.checkpoint_status},
                       {"checkpoints_checked", s.checkpoints},
                       {"signed_through_seq", s.signed_through_seq},
                       {"unsigned_tail", s.unsigned_tail},
                       {"signatures_ok", s.signatures_ok},
                       {"signature_problems", s.signature_problems}});
  }
  j["integrity"] = {{"ok", ok}, {"sources", sources}, {"sequence_gaps", t.sequence_gaps},
                    {"unreadable_records", t.unreadable}};

  Json rulesets = Json::array();
  for (const RulesetInService& r : f.rulesets) {
    rulesets.push_back({{"hash", r.hash},
                        {"title", r.title},
                        {"version", r.version},
                        {"status", r.status},
                        {"approved_by", r.approved_by},
                        {"approved_on", r.approved_on},
                        {"stored_at", r.stored_at},
                        {"signer", r.signer},
                        {"signature", r.signature},
                        {"first_decision_at", r.first_decision_at},
                        {"last_decision_at", r.last_decision_at},
                        {"decisions", count(o, r.decisions)},
                        {"problem", r.problem}});
  }
  j["rulesets"] = rulesets;

  const std::int64_t decisions = total(t.totals);
  Json days = Json::array();
  const std::string unit = o.per_hour ? "hour" : "day";
  j["per"] = unit;
  for (const auto& [day, mix] : t.by_day) {
    Json d = {{unit, day}, {"total", count(o, total(mix))}};
    d.update(mix_json(o, mix));
    d["incomplete_share"] = share(o, mix[static_cast<int>(Category::incomplete)], total(mix));
    days.push_back(d);
  }
  Json replicas = Json::array();
  for (const auto& [replica, mix] : t.by_replica) {
    Json r = {{"replica", replica}, {"total", count(o, total(mix))}};
    r.update(mix_json(o, mix));
    replicas.push_back(r);
  }
  j["decisions"] = {
      {"total", decisions},
      {"by_outcome", mix_json(o, t.totals)},
      {"incomplete_share", share(o, t.totals[static_cast<int>(Category::incomplete)], decisions)},
      {"by_" + unit, days},
      {"by_replica", replicas},
      {"flows", {{"flows", count(o, f.flows)},
                 {"ended_incomplete", count(o, f.flows_ended_incomplete)},
                 {"ended_incomplete_share", share(o, f.flows_ended_incomplete, f.flows)}}}};

  Json by_flag = Json::array();
  for (const auto& [flag, n] : ranked(t.red_flags, 0)) {
    Json tiers = Json::object();
    const auto& by_tier = t.red_flags_by_tier.at(flag);
    for (int tier = 3; tier >= 0; --tier) tiers[tier_names[tier]] = count(o, by_tier[tier]);
    by_flag.push_back({{"flag", flag}, {"decisions", count(o, n)}, {"by_tier", tiers}});
  }
  Json flag_days = Json::array();
  for (const auto& [day, by_tier] : t.red_flags_by_day) {
    Json d = {{unit, day}};
    for (int tier = 3; tier >= 0; --tier) d[tier_names[tier]] = count(o, by_tier[tier]);
    flag_days.push_back(d);
  }
  Json combinations = Json::array();
  for (const auto& [combination, n] : ranked(t.flag_combinations, 10)) {
    combinations.push_back({{"flags", combination}, {"decisions", count(o, n)}});
  }
  j["red_flags"] = {{"decisions_with_red_flags", count(o, t.with_red_flags)},
                    {"by_flag", by_flag},
                    {"by_" + unit, flag_days},
                    {"top_combinations", combinations}};

  Json given = Json::array();
  for (const auto& [technique, n] : ranked(t.techniques_given, 10)) {
    given.push_back({{"technique", technique}, {"plans", count(o, n)}});
  }
  Json excluded = Json::array();
  for (const auto& [technique, n] : ranked(t.techniques_excluded, 10)) {
    Json reasons = Json::array();
    auto it = t.exclusion_reasons.find(technique);
    if (it != t.exclusion_reasons.end()) {
      for (const auto& [rule, m] : ranked(it->second, 5)) reasons.push_back({{"rule", rule}, {"count", count(o, m)}});
    }
    excluded.push_back({{"technique", technique}, {"plans", count(o, n)}, {"reasons", reasons}});
  }
  j["self_care"] = {{"plans", count(o, t.self_care_plans)}, {"most_given", given}, {"most_excluded", excluded}};

  const FeedbackFigures& fb = f.feedback;
  Json cards = Json::array();
  for (const auto& [card, counts] : fb.by_card) {
    cards.push_back({{"card", card},
                     {"accepted", count(o, counts.first)},
                     {"overridden", count(o, counts.second)},
                     {"override_rate", share(o, counts.second, counts.first + counts.second)}});
  }
  Json reasons = Json::array();
  for (const auto& [reason, n] : ranked(fb.override_reasons, 0)) reasons.push_back({{"reason", reason}, {"count", count(o, n)}});
  Json rules = Json::array();
  for (const RuleFeedback& r : fb.summary.rules) {
    Json rr = Json::array();
    for (const auto& [reason, n] : r.override_reasons) rr.push_back({{"reason", reason}, {"count", count(o, n)}});
    rules.push_back({{"kind", r.kind}, {"id", r.id}, {"accepted", count(o, r.accepted)},
                     {"overridden", count(o, r.overridden)}, {"override_reasons", rr}});
  }
  const auto& s = fb.summary;
  j["feedback"] = {{"available", fb.available},
                   {"entries", count(o, s.entries)},
                   {"accepted", count(o, s.accepted)},
                   {"overridden", count(o, s.overridden)},
                   {"acceptance_rate", share(o, s.accepted, s.entries)},
                   {"override_rate", share(o, s.overridden, s.entries)},
                   {"unmatched", count(o, s.unmatched)},
                   {"by_card", cards},
                   {"override_reasons", reasons},
                   {"by_rule", rules}};

  Json changes = Json::array();
  for (const RulesetChange& c : f.ruleset_changes) {
    changes.push_back({{"from_hash", c.from_hash},
                       {"to_hash", c.to_hash},
                       {"from_version", c.from_version},
                       {"to_version", c.to_version},
                       {"first_decision_after", c.changed_at},
                       {"before", mix_json(o, c.before)},
                       {"after", mix_json(o, c.after)},
                       {"shifted", c.shifted}});
  }
  j["ruleset_changes"] = changes;

  if (f.impact.requested) {
    const ImpactFigures& i = f.impact;
    auto examples = [](const std::vector<ImpactExample>& list) {
      Json out = Json::array();
      for (const auto& e : list) {
        out.push_back({{"decision_id", e.decision_id}, {"decided_at", e.decided_at}, {"transition", e.transition}});
      }
      return out;
    };
    Json transitions = Json::object();
    for (const auto& [name, n] : i.transitions) transitions[name] = count(o, n);
    j["impact"] = {{"replayed", i.replayed}, {"unchanged", count(o, i.unchanged)}, {"changed", count(o, i.changed)},
                   {"failed", count(o, i.failed)}, {"tier_up", count(o, i.up)}, {"tier_down", count(o, i.down)},
                   {"same_tier", count(o, i.same_tier)}, {"transitions", transitions},
                   {"up_examples", examples(i.up_examples)}, {"down_examples", examples(i.down_examples)}};
  } else {
    j["impact"] = nullptr;
  }

  Json anomalies = Json::array();
  for (const Anomaly& a : f.anomalies) {
    anomalies.push_back({{"rule", a.rule}, {"subject", a.subject}, {"sentence", a.sentence}});
  }
  j["anomalies"] = anomalies;
  return j.dump(2) + "\n";
}

}  // namespace triage::report
