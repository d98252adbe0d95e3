#pragma once
// `triage audit report`: the figures of a post-deployment monitoring report (DCB0160), computed
// from audit logs through the auditor's own tools (verify, signatures, checkpoints, feedback
// summary, replay for impact), so the report and `triage audit verify|replay|feedback` never
// disagree. Pure: no output, no exit; problems are values in the figures. Rendering is elsewhere
// (report/render.hpp).
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "audit/reader.hpp"
#include "auditor/feedback_summary.hpp"
#include "auditor/replay.hpp"
#include "compile/compiled.hpp"

namespace triage::report {

// What a decision came to, as one stacked category: the referral tiers, self-care and incomplete.
// An incomplete decision is `incomplete` whatever its provisional tier: it sent nobody anywhere.
enum class Category { emergency = 0, urgent, routine, self_care, incomplete };
constexpr int category_count = 5;
using Mix = std::array<std::int64_t, category_count>;

// The JSON name ("emergency", "self_care", …) and the words a reader sees ("Referral: emergency").
const char* category_name(Category category);
const char* category_label(Category category);

// Counts that only grow while decisions are read; merged across replicas (two tallies of disjoint
// records merge into the tally of their union, so a central report equals the local ones added up).
struct Tally {
  std::int64_t decisions = 0;
  std::int64_t unreadable = 0;        // records whose decision is not a JSON object (damaged)
  std::string first_at, last_at;      // decided_at of the earliest and latest decision counted
  Mix totals{};
  // How much of decided_at names a time bucket: 10 characters a day ("2026-11-21"), 13 an hour
  // ("2026-11-21T08"). Tallies merge only with tallies of the same length.
  std::size_t bucket_length = 10;
  std::map<std::string, Mix> by_day;  // bucket (a day, or an hour) -> mix
  std::map<std::string, Mix> by_replica;
  std::map<std::string, Mix> by_ruleset;  // ruleset hash -> mix
  std::map<std::string, std::pair<std::string, std::string>> ruleset_span;  // hash -> first, last decided_at
  // Ruleset changes seen in a replica's sequence: (old hash, new hash) -> first decided_at under new.
  std::map<std::pair<std::string, std::string>, std::string> ruleset_changes;
  // Maps keyed by ids use std::less<> so ids read as views are looked up without a copy.
  std::map<std::string, std::int64_t, std::less<>> red_flags;  // flag id -> decisions it fired in
  std::map<std::string, std::array<std::int64_t, 4>, std::less<>> red_flags_by_tier;  // flag -> decisions by tier (0 none … 3 emergency)
  std::map<std::string, std::array<std::int64_t, 4>> red_flags_by_day;   // bucket -> decisions with a flag, by tier
  std::map<std::string, std::int64_t, std::less<>> flag_combinations;  // "a + b" (sorted ids) -> decisions
  std::int64_t with_red_flags = 0;
  std::map<std::string, std::int64_t, std::less<>> techniques_given;
  std::map<std::string, std::int64_t, std::less<>> techniques_excluded;
  std::map<std::string, std::map<std::string, std::int64_t, std::less<>>, std::less<>> exclusion_reasons;  // technique -> rule id -> count
  std::int64_t self_care_plans = 0;
  // Kiosk flows: decisions sharing a request id (the kiosk's session id) in one replica; a flow
  // ended incomplete when its last decision is incomplete (the patient left without a result).
  std::unordered_map<std::uint64_t, std::uint8_t> flow_last;  // flow key -> last Category
  std::int64_t sequence_gaps = 0;  // records missing between consecutive seq numbers of a replica
};

// Adds the decisions `filter` selects (and, with `replica` not empty, only that replica's) to
// `tally`. Records are read through AuditReader::for_each_decision, in sequence order.
void tally_decisions(AuditReader& reader, const DecisionFilter& filter, const std::string& replica, Tally& tally);

// Adds `other` (records disjoint from `into`'s) to `into`.
void merge(Tally& into, const Tally& other);

// Whether one source (a log file or a replica of the central store) is intact.
struct SourceIntegrity {
  std::string source;           // the log's path or "replica NAME"
  bool chain_ok = false;        // SQLite integrity, stored rulesets and the hash chain (verify_audit_log)
  std::int64_t verified = 0;
  std::string head_hash;
  std::int64_t broken_seq = 0;
  std::string problem;          // empty when chain_ok and the signatures hold
  // Signed checkpoints: "verified", "not checked (no --trusted-keys)", "none in this log",
  // "not in the central store" or "FAILED".
  std::string checkpoint_status;
  std::int64_t checkpoints = 0;
  std::int64_t signed_through_seq = 0;
  std::int64_t unsigned_tail = 0;
  bool signatures_ok = true;    // the stored ruleset signatures (verify_stored_signatures)
  std::vector<std::string> signature_problems;
};

// verify_audit_log over the whole log (a chain cannot be checked in part), then the stored ruleset
// signatures and, with `trusted_keys` (a folder of *.pem public keys), the signed checkpoints.
SourceIntegrity check_integrity(AuditReader& reader, const std::string& source, const std::string& trusted_keys);

// A ruleset that decided in the period.
struct RulesetInService {
  std::string hash;
  std::string title, version, status, approved_by, approved_on;  // from its `ruleset` header
  std::string stored_at;       // when the log first stored it (the service loaded it)
  std::string signer;          // the trusted key that signed it; empty when unsigned
  std::string signature;       // "verified", "signed (not checked against trusted keys)", "unsigned", or "BAD: …"
  std::string first_decision_at, last_decision_at;
  std::int64_t decisions = 0;
  std::string problem;         // when its stored files no longer load
};

// The ruleset `hash` as stored in `reader` (header read by loading its files).
RulesetInService describe_ruleset(AuditReader& reader, const std::string& hash, const std::string& trusted_keys);

// Clinician feedback (CDS Hooks), per card type: the card is the decision, so its type is the
// decision's category.
struct FeedbackFigures {
  bool available = false;  // false when no source's feedback was read
  FeedbackSummary summary; // per rule and red flag (the `audit feedback` summary)
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> by_card;  // category name -> accepted, overridden
  std::map<std::string, std::int64_t> override_reasons;  // reason -> count ("(none given)" when empty)
};

// The feedback received in [filter.since, filter.until) on decisions of this log.
FeedbackFigures feedback_figures(AuditReader& reader, const DecisionFilter& filter);

// Adds `other` (another log's feedback) to `into`.
void merge(FeedbackFigures& into, const FeedbackFigures& other);

// A candidate ruleset's impact (`audit replay --rules`), by tier direction.
struct ImpactExample {
  std::string decision_id, decided_at, transition;
};
struct ImpactFigures {
  bool requested = false;
  std::int64_t replayed = 0, unchanged = 0, changed = 0, failed = 0;
  std::int64_t up = 0, down = 0, same_tier = 0;  // tier more urgent, less urgent, same tier (details)
  std::map<std::string, std::int64_t> transitions;
  std::vector<ImpactExample> up_examples, down_examples;  // at most 5 each, earliest first
};

// From replay_audit_log's report against a candidate.
ImpactFigures impact_figures(const ReplayReport& replay);
void merge(ImpactFigures& into, const ImpactFigures& other);

// Something a safety officer should look at, in a plain sentence.
struct Anomaly {
  std::string rule;     // "integrity", "ruleset_change", "emergency_day", "replica_drift"
  std::string subject;  // the source, "OLD -> NEW" ruleset versions, the day or the replica
  std::string sentence;
};

// The outcome mix before and after one ruleset change (always shown; an anomaly when it moved).
struct RulesetChange {
  std::string from_hash, to_hash, from_version, to_version, changed_at;
  Mix before{}, after{};
  bool shifted = false;
};

struct ReportOptions {
  std::string from, to;     // the period as asked (shown), RFC 3339 bounds; empty for open
  std::string replica;      // the one replica looked at; empty for all
  bool per_hour = false;    // time buckets of an hour instead of a day (charts, tables, the emergency rule)
  std::int64_t small_count = 5;  // counts from 1 to small_count - 1 are suppressed unless shown
  bool show_small_counts = false;
};

// Everything the report shows.
struct Figures {
  ReportOptions options;
  std::string source_kind;  // "sqlite" or "postgresql"
  std::vector<SourceIntegrity> integrity;
  std::vector<RulesetInService> rulesets;
  Tally tally;
  std::int64_t flows = 0, flows_ended_incomplete = 0;
  std::vector<RulesetChange> ruleset_changes;
  FeedbackFigures feedback;
  ImpactFigures impact;
  std::vector<Anomaly> anomalies;
};

// The thresholds of the anomaly rules (docs/safety-report.md explains each).
struct AnomalyRules {
  double min_share_points = 10.0;    // a category share must move by this many percentage points …
  double min_z = 4.0;                // … and by this many standard errors (two-proportion z)
  std::int64_t min_decisions = 30;   // on each side, for a comparison to be made at all
  double day_min_points = 10.0;      // emergency share of a day (or hour) vs the other days (or hours)
  double day_min_z = 4.0;
  std::int64_t day_min_decisions = 20;
};

// Assembles the figures and applies the anomaly rules. Anomalies come in a fixed order: integrity,
// ruleset changes, days, replicas.
Figures build_figures(ReportOptions options, std::string source_kind, std::vector<SourceIntegrity> integrity,
                      std::vector<RulesetInService> rulesets, Tally tally, FeedbackFigures feedback,
                      ImpactFigures impact, const AnomalyRules& rules = {});

// Gathers the figures of one report from its logs, one at a time (each log a local file, or one
// replica's records copied from the central store), the same way for both stores.
class ReportBuilder {
 public:
  // `filter` selects the period; `trusted_keys` (may be empty) checks signatures and checkpoints;
  // `candidate` (may be null) is replayed against every log for its impact.
  ReportBuilder(ReportOptions options, DecisionFilter filter, std::string trusted_keys,
                std::shared_ptr<const CompiledRuleset> candidate);
  // Adds one log's decisions, rulesets, feedback (when `with_feedback`) and candidate impact;
  // `progress` (may be null) hears of the candidate's replay.
  void add_log(AuditReader& reader, bool with_feedback,
               const std::function<void(std::int64_t, std::int64_t)>& progress = nullptr);
  // Adds a source's verification (check_integrity, or the central store's verdict).
  void add_integrity(SourceIntegrity integrity) { integrity_.push_back(std::move(integrity)); }
  // The figures with the anomaly rules applied; the builder is spent.
  Figures finish(const std::string& source_kind, const AnomalyRules& rules = {});

 private:
  ReportOptions options_;
  DecisionFilter filter_;
  std::string trusted_keys_;
  std::shared_ptr<const CompiledRuleset> candidate_;
  std::vector<SourceIntegrity> integrity_;
  std::vector<RulesetInService> rulesets_;
  Tally tally_;
  FeedbackFigures feedback_;
  ImpactFigures impact_;
};

// A count as the report may show it: `n`, or -1 when it is small (1..small_count-1) and small
// counts are suppressed. Zero is never suppressed (it reveals nobody).
std::int64_t shown(const ReportOptions& options, std::int64_t n);

// "12", or "fewer than 5" for a suppressed count (for sentences).
std::string count_words(const ReportOptions& options, std::int64_t n);

}  // namespace triage::report
