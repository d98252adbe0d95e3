#include "report/figures.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <set>

#include "api/decision_record.hpp"
#include "auditor/checkpoints.hpp"
#include "auditor/signatures.hpp"
#include "auditor/verify.hpp"
#include "ruleset/loader.hpp"
#include "util/json_reader.hpp"

namespace triage::report {
namespace {

int tier_index(std::string_view urgency) {
  if (urgency == "emergency") return 3;
  if (urgency == "urgent") return 2;
  if (urgency == "routine") return 1;
  return 0;
}

// The category of an outcome and urgency; false for anything else (a damaged record).
bool category_of(std::string_view outcome, std::string_view urgency, Category& out) {
  if (outcome == "self_care") out = Category::self_care;
  else if (outcome == "incomplete") out = Category::incomplete;
  else if (outcome == "refer" && urgency == "emergency") out = Category::emergency;
  else if (outcome == "refer" && urgency == "urgent") out = Category::urgent;
  else if (outcome == "refer" && urgency == "routine") out = Category::routine;
  else return false;
  return true;
}

// FNV-1a over the parts of a flow key, each followed by a separator that no id holds.
std::uint64_t flow_key(const DecisionRow& row) {
  std::uint64_t hash = 1469598103934665603ull;
  for (const std::string* part : {&row.replica_id, &row.client, &row.request_id}) {
    for (unsigned char c : *part) hash = (hash ^ c) * 1099511628211ull;
    hash = (hash ^ 0x1f) * 1099511628211ull;
  }
  return hash;
}

void add_mix(Mix& into, const Mix& other) {
  for (int i = 0; i < category_count; ++i) into[i] += other[i];
}

std::int64_t total(const Mix& mix) {
  std::int64_t sum = 0;
  for (auto n : mix) sum += n;
  return sum;
}

// Two-proportion z statistic (pooled standard error); 0 when both shares are equal.
double z_score(std::int64_t x1, std::int64_t n1, std::int64_t x2, std::int64_t n2) {
  if (n1 == 0 || n2 == 0) return 0;
  double p1 = double(x1) / n1, p2 = double(x2) / n2, p = double(x1 + x2) / (n1 + n2);
  double se = std::sqrt(p * (1 - p) * (1.0 / n1 + 1.0 / n2));
  if (se == 0) return p1 == p2 ? 0 : 1e9;
  return (p1 - p2) / se;
}

std::string percent(std::int64_t x, std::int64_t n) {
  if (n == 0) return "0%";
  double p = 100.0 * x / n;
  char out[32];
  std::snprintf(out, sizeof out, p > 0 && p < 1 ? "%.1f%%" : "%.0f%%", p);
  return out;
}

// "emergency referrals", "self-care plans", … as a sentence says them.
const char* category_plural(int category) {
  static const char* names[] = {"emergency referrals", "urgent referrals", "routine referrals", "self-care plans",
                                "incomplete decisions"};
  return names[category];
}

// What a share of decisions did, as a sentence says it: "40% of decisions were incomplete".
const char* category_predicate(int category) {
  static const char* names[] = {"were emergency referrals", "were urgent referrals", "were routine referrals",
                                "ended with a self-care plan", "were incomplete"};
  return names[category];
}

// The category whose share moved most between `a` and `b`, when it moved enough to flag.
struct Shift {
  int category = -1;
  double points = 0;
};
Shift largest_shift(const Mix& a, const Mix& b, double min_points, double min_z, std::int64_t min_n) {
  Shift best;
  std::int64_t na = total(a), nb = total(b);
  if (na < min_n || nb < min_n) return best;
  for (int c = 0; c < category_count; ++c) {
    double points = 100.0 * (double(a[c]) / na - double(b[c]) / nb);
    double z = z_score(a[c], na, b[c], nb);
    if (std::fabs(points) >= min_points && std::fabs(z) >= min_z && std::fabs(points) > std::fabs(best.points)) {
      best = {c, points};
    }
  }
  return best;
}

std::string share_words(const ReportOptions& options, std::int64_t x, std::int64_t n) {
  return percent(x, n) + " (" + count_words(options, x) + " of " + count_words(options, n) + ")";
}

std::string short_hash(const std::string& hash) {
  auto colon = hash.find(':');
  return hash.substr(0, std::min(hash.size(), (colon == std::string::npos ? 0 : colon + 1) + 12));
}

}  // namespace

const char* category_name(Category category) {
  static const char* names[] = {"emergency", "urgent", "routine", "self_care", "incomplete"};
  return names[static_cast<int>(category)];
}

const char* category_label(Category category) {
  static const char* labels[] = {"Referral: emergency", "Referral: urgent", "Referral: routine", "Self-care plan",
                                 "Incomplete"};
  return labels[static_cast<int>(category)];
}

namespace {

// A record that is not laid out canonically (an older or damaged one) read with the general JSON
// reader into the same view; the views point into `document`. False when it is no decision.
bool read_record_slowly(const std::string& text, JsonValue& document, DecisionRecordView& out) {
  std::string error;
  document = JsonValue{};
  out = DecisionRecordView{};
  if (!read_json(text, document, error)) return false;
  const JsonValue* outcome = json_member(document, "outcome", JsonValue::Kind::string);
  if (!outcome) return false;
  out.outcome = outcome->string;
  if (const JsonValue* urgency = json_member(document, "urgency", JsonValue::Kind::string)) out.urgency = urgency->string;
  if (const JsonValue* list = json_member(document, "red_flags", JsonValue::Kind::array)) {
    for (const JsonValue& flag : list->array) {
      if (flag.kind == JsonValue::Kind::string) out.red_flags.push_back(flag.string);
    }
  }
  if (const JsonValue* plan = json_member(document, "plan", JsonValue::Kind::array)) {
    for (const JsonValue& entry : plan->array) {
      if (const JsonValue* t = json_member(entry, "technique", JsonValue::Kind::string)) out.plan.push_back(t->string);
    }
  }
  if (const JsonValue* excluded = json_member(document, "excluded", JsonValue::Kind::array)) {
    for (const JsonValue& entry : excluded->array) {
      const JsonValue* t = json_member(entry, "technique", JsonValue::Kind::string);
      if (!t) continue;
      DecisionRecordView::Exclusion exclusion{t->string, {}};
      if (const JsonValue* reasons = json_member(entry, "reasons", JsonValue::Kind::array)) {
        for (const JsonValue& reason : reasons->array) {
          if (reason.kind == JsonValue::Kind::string) exclusion.reasons.push_back(reason.string);
        }
      }
      out.excluded.push_back(std::move(exclusion));
    }
  }
  return true;
}

// Adds one to a count keyed by an id seen as a view (no string is made when the id is known).
void bump(std::map<std::string, std::int64_t, std::less<>>& counts, std::string_view id) {
  auto it = counts.find(id);
  if (it == counts.end()) it = counts.emplace(std::string(id), 0).first;
  ++it->second;
}

}  // namespace

void tally_decisions(AuditReader& reader, const DecisionFilter& filter, const std::string& replica, Tally& tally) {
  // Per replica: the previous record's seq and ruleset, for gaps and ruleset changes.
  std::map<std::string, std::pair<std::int64_t, std::string>> previous;
  JsonValue document;
  DecisionRecordView record;
  std::vector<std::string_view> flags;
  std::string combination;
  reader.for_each_decision(filter, [&](const DecisionRow& row) {
    if (!replica.empty() && row.replica_id != replica) return true;
    ++tally.decisions;
    Category category;
    if (!scan_decision_record(row.decision, record) && !read_record_slowly(row.decision, document, record)) {
      ++tally.unreadable;
      return true;
    }
    if (!category_of(record.outcome, record.urgency, category)) {
      ++tally.unreadable;
      return true;
    }
    const int c = static_cast<int>(category);
    const std::string day = row.decided_at.substr(0, tally.bucket_length);
    if (tally.first_at.empty() || row.decided_at < tally.first_at) tally.first_at = row.decided_at;
    if (row.decided_at > tally.last_at) tally.last_at = row.decided_at;
    ++tally.totals[c];
    ++tally.by_day[day][c];
    ++tally.by_replica[row.replica_id][c];
    ++tally.by_ruleset[row.ruleset_hash][c];
    auto& span = tally.ruleset_span[row.ruleset_hash];
    if (span.first.empty() || row.decided_at < span.first) span.first = row.decided_at;
    if (row.decided_at > span.second) span.second = row.decided_at;

    auto [last, fresh] = previous.try_emplace(row.replica_id, row.seq, row.ruleset_hash);
    if (!fresh) {
      if (row.seq > last->second.first + 1) tally.sequence_gaps += row.seq - last->second.first - 1;
      if (row.ruleset_hash != last->second.second) {
        tally.ruleset_changes.try_emplace({last->second.second, row.ruleset_hash}, row.decided_at);
      }
      last->second = {row.seq, row.ruleset_hash};
    }

    // Red flags: by flag, by the decision's tier, by day, and the set that fired together.
    const int tier = tier_index(record.urgency);
    if (!record.red_flags.empty()) {
      flags.assign(record.red_flags.begin(), record.red_flags.end());
      ++tally.with_red_flags;
      ++tally.red_flags_by_day[day][tier];
      std::sort(flags.begin(), flags.end());
      flags.erase(std::unique(flags.begin(), flags.end()), flags.end());
      combination.clear();
      for (std::string_view flag : flags) {
        bump(tally.red_flags, flag);
        auto it = tally.red_flags_by_tier.find(flag);
        if (it == tally.red_flags_by_tier.end()) it = tally.red_flags_by_tier.emplace(std::string(flag), std::array<std::int64_t, 4>{}).first;
        ++it->second[tier];
        if (!combination.empty()) combination += " + ";
        combination += flag;
      }
      bump(tally.flag_combinations, combination);
    }

    // Self-care plans: techniques given, and those left out with the rules that excluded them.
    if (category == Category::self_care) ++tally.self_care_plans;
    for (std::string_view technique : record.plan) bump(tally.techniques_given, technique);
    for (const auto& exclusion : record.excluded) {
      bump(tally.techniques_excluded, exclusion.technique);
      auto it = tally.exclusion_reasons.find(exclusion.technique);
      if (it == tally.exclusion_reasons.end()) it = tally.exclusion_reasons.emplace(std::string(exclusion.technique), std::map<std::string, std::int64_t, std::less<>>{}).first;
      for (std::string_view reason : exclusion.reasons) bump(it->second, reason);
    }
    if (!row.request_id.empty()) tally.flow_last[flow_key(row)] = static_cast<std::uint8_t>(c);
    return true;
  });
}

void merge(Tally& into, const Tally& other) {
  into.decisions += other.decisions;
  into.unreadable += other.unreadable;
  if (!other.first_at.empty() && (into.first_at.empty() || other.first_at < into.first_at)) into.first_at = other.first_at;
  if (other.last_at > into.last_at) into.last_at = other.last_at;
  add_mix(into.totals, other.totals);
  for (const auto& [k, v] : other.by_day) add_mix(into.by_day[k], v);
  for (const auto& [k, v] : other.by_replica) add_mix(into.by_replica[k], v);
  for (const auto& [k, v] : other.by_ruleset) add_mix(into.by_ruleset[k], v);
  for (const auto& [k, v] : other.ruleset_span) {
    auto& span = into.ruleset_span[k];
    if (span.first.empty() || v.first < span.first) span.first = v.first;
    if (v.second > span.second) span.second = v.second;
  }
  for (const auto& [k, v] : other.ruleset_changes) {
    auto [it, fresh] = into.ruleset_changes.try_emplace(k, v);
    if (!fresh && v < it->second) it->second = v;
  }
  for (const auto& [k, v] : other.red_flags) into.red_flags[k] += v;
  for (const auto& [k, v] : other.red_flags_by_tier) {
    for (int t = 0; t < 4; ++t) into.red_flags_by_tier[k][t] += v[t];
  }
  for (const auto& [k, v] : other.red_flags_by_day) {
    for (int t = 0; t < 4; ++t) into.red_flags_by_day[k][t] += v[t];
  }
  for (const auto& [k, v] : other.flag_combinations) into.flag_combinations[k] += v;
  into.with_red_flags += other.with_red_flags;
  for (const auto& [k, v] : other.techniques_given) into.techniques_given[k] += v;
  for (const auto& [k, v] : other.techniques_excluded) into.techniques_excluded[k] += v;
  for (const auto& [k, v] : other.exclusion_reasons) {
    for (const auto& [rule, n] : v) into.exclusion_reasons[k][rule] += n;
  }
  into.self_care_plans += other.self_care_plans;
  for (const auto& [k, v] : other.flow_last) into.flow_last[k] = v;
  into.sequence_gaps += other.sequence_gaps;
}

SourceIntegrity check_integrity(AuditReader& reader, const std::string& source, const std::string& trusted_keys) {
  SourceIntegrity out;
  out.source = source;
  VerifyReport chain = verify_audit_log(reader, "", nullptr);
  out.chain_ok = chain.ok;
  out.verified = chain.verified;
  out.head_hash = chain.head_hash;
  out.broken_seq = chain.broken_seq;
  out.problem = chain.problem;
  SignatureReport signatures;
  std::string error;
  if (!verify_stored_signatures(reader, trusted_keys, signatures, error)) {
    signatures.ok = false;
    signatures.problems.push_back(error);
  }
  out.signatures_ok = signatures.ok;
  out.signature_problems = signatures.problems;
  if (out.problem.empty() && !signatures.ok) out.problem = "ruleset signature: " + signatures.problems.front();
  std::vector<CheckpointRow> stored = reader.checkpoints();
  out.checkpoints = static_cast<std::int64_t>(stored.size());
  if (stored.empty()) {
    out.checkpoint_status = "none in this log";
    out.unsigned_tail = reader.last_seq();
  } else if (trusted_keys.empty()) {
    out.checkpoint_status = "not checked (no --trusted-keys)";
    out.signed_through_seq = stored.back().seq;
    out.unsigned_tail = reader.last_seq() - stored.back().seq;
  } else if (chain.ok) {
    // Checkpoints vouch for the chain only once its links hold (as `audit verify` does it).
    CheckpointReport checked = verify_checkpoints(reader, trusted_keys);
    out.checkpoint_status = checked.ok ? "verified" : "FAILED";
    out.checkpoints = checked.checked;
    out.signed_through_seq = checked.covered_seq;
    out.unsigned_tail = checked.unsigned_tail;
    if (!checked.ok && out.problem.empty()) out.problem = "signed checkpoints: " + checked.problem;
  } else {
    out.checkpoint_status = "not checked (the chain is broken)";
  }
  return out;
}

RulesetInService describe_ruleset(AuditReader& reader, const std::string& hash, const std::string& trusted_keys) {
  RulesetInService out;
  out.hash = hash;
  out.stored_at = reader.ruleset_first_seen(hash);
  std::vector<std::pair<std::string, std::string>> files;
  if (!reader.ruleset_files(hash, files)) {
    out.problem = "not stored in the log";
  } else {
    LoadResult loaded = load_ruleset_from_texts(files);
    if (!loaded.ruleset) {
      out.problem = "its stored files do not load";
    } else {
      const auto& header = loaded.ruleset->model->header;
      out.title = header.title;
      out.version = header.version;
      out.status = header.status;
      out.approved_by = header.approved_by;
      out.approved_on = header.approved_on;
    }
  }
  out.signature = "unsigned";
  for (const StoredSignature& stored : reader.ruleset_signatures()) {
    if (stored.hash != hash || stored.signature.empty()) continue;
    out.signer = stored.signer;
    out.signature = trusted_keys.empty() ? "signed (not checked against trusted keys)" : "verified";
  }
  return out;
}

FeedbackFigures feedback_figures(AuditReader& reader, const DecisionFilter& filter) {
  FeedbackFigures out;
  out.available = true;
  std::vector<FeedbackRow> rows;
  for (FeedbackRow& row : reader.feedback("")) {
    if (!filter.since.empty() && row.received_at < filter.since) continue;
    if (!filter.until.empty() && row.received_at >= filter.until) continue;
    rows.push_back(std::move(row));
  }
  std::map<std::string, std::optional<std::string>> records;
  auto decision_of = [&](const std::string& id) {
    auto it = records.find(id);
    if (it == records.end()) it = records.emplace(id, reader.decision_record(id)).first;
    return it->second;
  };
  out.summary = summarize_feedback(rows, decision_of);
  DecisionRecordView view;
  for (const FeedbackRow& row : rows) {
    const bool overridden = row.outcome == "overridden";
    if (overridden) ++out.override_reasons[row.override_reason.empty() ? "(none given)" : row.override_reason];
    std::optional<std::string> record = decision_of(row.decision_id);
    if (!record) continue;  // counted as unmatched by the summary
    // The card's type is its decision's category: the canonical record scanned, else read in full.
    OutcomeLabel label;
    if (scan_decision_record(*record, view)) label = {std::string(view.outcome), std::string(view.urgency)};
    else label = outcome_label(*record);
    Category category;
    std::string card = category_of(label.outcome, label.urgency, category) ? category_name(category) : "unknown";
    auto& counts = out.by_card[card];
    (overridden ? counts.second : counts.first) += 1;
  }
  return out;
}

void merge(FeedbackFigures& into, const FeedbackFigures& other) {
  into.available = into.available || other.available;
  into.summary.entries += other.summary.entries;
  into.summary.accepted += other.summary.accepted;
  into.summary.overridden += other.summary.overridden;
  into.summary.unmatched += other.summary.unmatched;
  for (const RuleFeedback& rule : other.summary.rules) {
    auto it = std::find_if(into.summary.rules.begin(), into.summary.rules.end(),
                           [&](const RuleFeedback& r) { return r.kind == rule.kind && r.id == rule.id; });
    if (it == into.summary.rules.end()) {
      into.summary.rules.push_back(rule);
      continue;
    }
    it->accepted += rule.accepted;
    it->overridden += rule.overridden;
    for (const auto& [reason, n] : rule.override_reasons) it->override_reasons[reason] += n;
  }
  // The summary's own order: most overridden first, then red flags, then by id.
  std::stable_sort(into.summary.rules.begin(), into.summary.rules.end(), [](const RuleFeedback& a, const RuleFeedback& b) {
    if (a.overridden != b.overridden) return a.overridden > b.overridden;
    if (a.kind != b.kind) return a.kind == "red_flag";
    return a.id < b.id;
  });
  for (const auto& [k, v] : other.by_card) {
    into.by_card[k].first += v.first;
    into.by_card[k].second += v.second;
  }
  for (const auto& [k, v] : other.override_reasons) into.override_reasons[k] += v;
}

namespace {

// How urgent an outcome label is ("self_care" 0 … "refer/emergency" 3); -1 for incomplete and
// anything else that has no place on the scale.
int urgency_rank(const std::string& label) {
  if (label == "self_care") return 0;
  if (label.rfind("refer/", 0) == 0) return tier_index(label.substr(6));
  return -1;
}

}  // namespace

ImpactFigures impact_figures(const ReplayReport& replay) {
  ImpactFigures out;
  out.requested = true;
  out.replayed = replay.replayed;
  out.unchanged = replay.unchanged;
  out.changed = replay.changed;
  out.failed = replay.failed;
  out.transitions = replay.transitions;
  for (const ReplayDifference& d : replay.differences) {
    auto arrow = d.transition.find(" -> ");
    if (arrow == std::string::npos) {
      if (d.error.empty()) ++out.same_tier;
      continue;
    }
    int from = urgency_rank(d.transition.substr(0, arrow)), to = urgency_rank(d.transition.substr(arrow + 4));
    if (from < 0 || to < 0 || from == to) {
      ++out.same_tier;
      continue;
    }
    auto& examples = to > from ? out.up_examples : out.down_examples;
    (to > from ? out.up : out.down) += 1;
    if (examples.size() < 5) examples.push_back({d.decision_id, d.decided_at, d.transition});
  }
  return out;
}

void merge(ImpactFigures& into, const ImpactFigures& other) {
  into.requested = into.requested || other.requested;
  into.replayed += other.replayed;
  into.unchanged += other.unchanged;
  into.changed += other.changed;
  into.failed += other.failed;
  into.up += other.up;
  into.down += other.down;
  into.same_tier += other.same_tier;
  for (const auto& [k, v] : other.transitions) into.transitions[k] += v;
  for (const auto* list : {&other.up_examples, &other.down_examples}) {
    auto& target = list == &other.up_examples ? into.up_examples : into.down_examples;
    target.insert(target.end(), list->begin(), list->end());
    std::sort(target.begin(), target.end(), [](const auto& a, const auto& b) { return a.decided_at < b.decided_at; });
    if (target.size() > 5) target.resize(5);
  }
}

std::int64_t shown(const ReportOptions& options, std::int64_t n) {
  if (options.show_small_counts || n <= 0 || n >= options.small_count) return n;
  return -1;
}

std::string count_words(const ReportOptions& options, std::int64_t n) {
  return shown(options, n) < 0 ? "fewer than " + std::to_string(options.small_count) : std::to_string(n);
}

Figures build_figures(ReportOptions options, std::string source_kind, std::vector<SourceIntegrity> integrity,
                      std::vector<RulesetInService> rulesets, Tally tally, FeedbackFigures feedback,
                      ImpactFigures impact, const AnomalyRules& rules) {
  Figures f;
  f.options = std::move(options);
  f.source_kind = std::move(source_kind);
  f.integrity = std::move(integrity);
  f.tally = std::move(tally);
  f.feedback = std::move(feedback);
  f.impact = std::move(impact);
  const ReportOptions& o = f.options;
  for (const auto& [key, last] : f.tally.flow_last) {
    ++f.flows;
    if (last == static_cast<std::uint8_t>(Category::incomplete)) ++f.flows_ended_incomplete;
  }
  // Rulesets in the order they started deciding.
  for (RulesetInService& r : rulesets) {
    auto span = f.tally.ruleset_span.find(r.hash);
    if (span != f.tally.ruleset_span.end()) {
      r.first_decision_at = span->second.first;
      r.last_decision_at = span->second.second;
    }
    auto mix = f.tally.by_ruleset.find(r.hash);
    r.decisions = mix == f.tally.by_ruleset.end() ? 0 : total(mix->second);
  }
  // A signature verify_stored_signatures refused is BAD here too, whatever describe_ruleset saw.
  for (RulesetInService& r : rulesets) {
    for (const SourceIntegrity& source : f.integrity) {
      for (const std::string& problem : source.signature_problems) {
        if (problem.find(r.hash) != std::string::npos) r.signature = "BAD: " + problem;
      }
    }
  }
  std::sort(rulesets.begin(), rulesets.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first_decision_at, a.hash) < std::tie(b.first_decision_at, b.hash);
  });
  f.rulesets = std::move(rulesets);
  auto version_of = [&](const std::string& hash) {
    for (const auto& r : f.rulesets) {
      if (r.hash == hash) return r.version.empty() ? short_hash(hash) : r.version;
    }
    return short_hash(hash);
  };

  // Integrity: any source whose chain, signatures or checkpoints do not hold.
  for (const SourceIntegrity& source : f.integrity) {
    if (!source.problem.empty()) {
      f.anomalies.push_back({"integrity", source.source,
                             "The audit log " + source.source + " failed verification: " + source.problem +
                                 ". Figures from it cannot be relied on until this is explained."});
    }
  }
  if (f.tally.sequence_gaps > 0) {
    f.anomalies.push_back({"integrity", "sequence",
                           "Record numbers missing between the records of the period: " +
                               std::to_string(f.tally.sequence_gaps) + ". Records were removed from the log."});
  }
  if (f.tally.unreadable > 0) {
    f.anomalies.push_back({"integrity", "records",
                           "Records without a readable decision: " + std::to_string(f.tally.unreadable) +
                               ". They are left out of every chart."});
  }

  // Ruleset changes: the outcome mix under the old ruleset against the mix under the new one.
  for (const auto& [pair, at] : f.tally.ruleset_changes) {
    RulesetChange change;
    change.from_hash = pair.first;
    change.to_hash = pair.second;
    change.from_version = version_of(pair.first);
    change.to_version = version_of(pair.second);
    change.changed_at = at;
    change.before = f.tally.by_ruleset[pair.first];
    change.after = f.tally.by_ruleset[pair.second];
    Shift shift = largest_shift(change.after, change.before, rules.min_share_points, rules.min_z, rules.min_decisions);
    change.shifted = shift.category >= 0;
    if (change.shifted) {
      int c = shift.category;
      f.anomalies.push_back(
          {"ruleset_change", change.from_version + " -> " + change.to_version,
           "After ruleset " + change.to_version + " replaced " + change.from_version + " (first decision under it " +
               at.substr(0, 10) + "), " + category_plural(c) + " went from " +
               share_words(o, change.before[c], total(change.before)) + " to " +
               share_words(o, change.after[c], total(change.after)) + " of decisions."});
    }
    f.ruleset_changes.push_back(change);
  }
  std::sort(f.ruleset_changes.begin(), f.ruleset_changes.end(),
            [](const auto& a, const auto& b) { return a.changed_at < b.changed_at; });

  // Days whose emergency share is far from the rest of the period's.
  const int emergency = static_cast<int>(Category::emergency);
  const std::int64_t all = total(f.tally.totals);
  for (const auto& [day, mix] : f.tally.by_day) {
    std::int64_t n = total(mix), x = mix[emergency];
    std::int64_t rest_n = all - n, rest_x = f.tally.totals[emergency] - x;
    if (n < rules.day_min_decisions || rest_n < rules.day_min_decisions) continue;
    double points = 100.0 * (double(x) / n - double(rest_x) / rest_n);
    if (std::fabs(points) < rules.day_min_points || std::fabs(z_score(x, n, rest_x, rest_n)) < rules.day_min_z) continue;
    if (o.per_hour) {
      std::string hour = day.substr(0, 10) + " " + day.substr(11, 2) + ":00";
      f.anomalies.push_back({"emergency_hour", day,
                             "In the hour from " + hour + " UTC, " + share_words(o, x, n) +
                                 " of decisions were emergency referrals; in the other hours of the period " +
                                 share_words(o, rest_x, rest_n) + " were."});
      continue;
    }
    f.anomalies.push_back({"emergency_day", day,
                           "On " + day + ", " + share_words(o, x, n) +
                               " of decisions were emergency referrals; on the other days of the period " +
                               share_words(o, rest_x, rest_n) + " were."});
  }

  // Replicas whose outcome mix differs from each other replica's. Against each one, not against the
  // rest pooled: one drifting replica pulls the pool, and every sound replica would then differ
  // from "the others" too.
  if (f.tally.by_replica.size() > 1) {
    for (const auto& [replica, mix] : f.tally.by_replica) {
      bool differs_from_all = true;
      for (const auto& [other, other_mix] : f.tally.by_replica) {
        if (other == replica) continue;
        Shift pair = largest_shift(mix, other_mix, rules.min_share_points, rules.min_z, rules.min_decisions);
        differs_from_all = differs_from_all && pair.category >= 0;
      }
      if (!differs_from_all) continue;
      Mix others = f.tally.totals;
      for (int c = 0; c < category_count; ++c) others[c] -= mix[c];
      Shift shift = largest_shift(mix, others, 0, 0, 1);  // the category to name in the sentence
      if (shift.category < 0) continue;
      int c = shift.category;
      std::string name = replica.empty() ? "(no replica id)" : replica;
      f.anomalies.push_back({"replica_drift", name,
                             "At replica " + name + ", " + share_words(o, mix[c], total(mix)) + " of decisions " +
                                 category_predicate(c) + "; at the other replicas together the share was " +
                                 share_words(o, others[c], total(others)) + ", and it differs from each other replica alone."});
    }
  }
  return f;
}

ReportBuilder::ReportBuilder(ReportOptions options, DecisionFilter filter, std::string trusted_keys,
                             std::shared_ptr<const CompiledRuleset> candidate)
    : options_(std::move(options)),
      filter_(std::move(filter)),
      trusted_keys_(std::move(trusted_keys)),
      candidate_(std::move(candidate)) {
  tally_.bucket_length = options_.per_hour ? 13 : 10;
}

void ReportBuilder::add_log(AuditReader& reader, bool with_feedback,
                            const std::function<void(std::int64_t, std::int64_t)>& progress) {
  Tally part;
  part.bucket_length = tally_.bucket_length;
  tally_decisions(reader, filter_, options_.replica, part);
  for (const auto& entry : part.by_ruleset) {
    const std::string& hash = entry.first;  // a named variable: clang 14 cannot capture a structured binding
    bool known = std::any_of(rulesets_.begin(), rulesets_.end(), [&](const auto& r) { return r.hash == hash; });
    if (!known) rulesets_.push_back(describe_ruleset(reader, hash, trusted_keys_));
  }
  merge(tally_, part);
  if (with_feedback) merge(feedback_, feedback_figures(reader, filter_));
  if (candidate_) merge(impact_, impact_figures(replay_audit_log(reader, filter_, candidate_, progress)));
}

Figures ReportBuilder::finish(const std::string& source_kind, const AnomalyRules& rules) {
  return build_figures(std::move(options_), source_kind, std::move(integrity_), std::move(rulesets_), std::move(tally_),
                       std::move(feedback_), std::move(impact_), rules);
}

}  // namespace triage::report
