#pragma once
// The checked ruleset: every name resolved to an index, every value validated. It is what the
// checker produces and what the compiler, the questionnaire and later analyses read. Immutable
// once built; safe to share between threads.
#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "diag/diagnostic.hpp"

namespace triage::model {

// Facts are indexed densely; a ruleset may declare at most this many (checked).
inline constexpr std::size_t max_facts = 256;
// Enum and set facts may have at most this many values (one bit each).
inline constexpr std::size_t max_values = 64;
// A ruleset may declare at most this many techniques and tags (checked; the compiler's bit sets
// are this wide).
inline constexpr std::size_t max_techniques = 256;
inline constexpr std::size_t max_tags = 64;

using FactSet = std::bitset<max_facts>;

enum class FactType { boolean, integer, enumeration, set };

// A fact's value in compact form: bool 0/1, int as is, enum as a one-hot bit, set as a bit mask.
using FactValue = std::int64_t;

enum class CompareOp { eq, ne, lt, le, gt, ge };

// A resolved condition. Enum tests become bit masks (an enum value is a one-hot bit), so
// `onset = sudden` and `sudden in pain_areas`-style tests share the mask kinds.
struct Cond {
  enum class Kind { always, fact_true, compare, mask_any, mask_all, mask_none, derived, not_, and_, or_ };
  Kind kind = Kind::always;
  int fact = -1;                 // fact_true, compare, mask_*, derived
  CompareOp op = CompareOp::eq;  // compare
  std::int64_t number = 0;       // compare: the constant; mask_*: the mask
  std::vector<Cond> children;    // not_ (one), and_, or_
};

struct Fact {
  std::string id;
  FactType type = FactType::boolean;
  std::int64_t low = 0, high = 0;   // integer
  std::vector<std::string> values;  // enumeration, set
  std::string question;
  std::string help;                 // optional help text under the question
  std::vector<std::string> labels;  // enumeration, set: a patient-facing label per value, or empty
  int min_choices = 0;              // set: how many values an answer must name at least
  int section = -1;                 // the section that shows it, or -1 when there are none
  std::optional<FactValue> default_value;
  bool derived = false;
  Cond definition;                  // derived facts only
  std::string meaning;              // derived facts only
  SourceLocation location;
};

enum class Tier { none = 0, routine = 1, urgent = 2, emergency = 3 };

struct Tag {
  std::string id;
  std::string description;
  SourceLocation location;
};

struct Technique {
  std::string id;
  std::string title;
  int phase = 0;
  std::vector<int> tags;
  std::uint64_t needs = 0;    // bits of the plan's equipment fact
  std::uint64_t targets = 0;  // bits of the plan's pain-area fact
  std::string instructions;
  std::string dose;
  std::string benefit;  // why it helps, shown as its reason where no rule or pain area explains it
  std::vector<std::string> cautions;
  std::vector<std::string> sources;
  SourceLocation location;
};

// Optional maintenance metadata of one red flag or rule (`author`, `reviewed`, `status`).
struct RuleMeta {
  std::string author;
  std::string reviewed;  // YYYY-MM-DD, or empty
  std::string status;    // draft | testing | production | retired, or empty
};

struct RedFlag {
  std::string id;
  RuleMeta meta;
  Cond condition;
  Tier tier = Tier::routine;
  std::string reason;
  std::vector<std::string> sources;
  SourceLocation location;
};

// What an effect applies to.
struct Target {
  enum class Kind { none, technique, tag, phase } kind = Kind::none;
  int index = -1;
};

struct Effect {
  enum class Kind { avoid, include, order, caution } kind = Kind::avoid;
  Target first;   // avoid, include, order, caution on (none for a general caution)
  Target second;  // order ... before second
};

struct Rule {
  std::string id;
  RuleMeta meta;
  Cond condition;
  std::vector<Effect> effects;
  std::string reason;
  std::vector<std::string> sources;
  SourceLocation location;
};

// `require needed whenever trigger except …`: a plan with techniques of phase `trigger` (other than
// the exempt ones) must also have one of phase `needed`.
struct PhaseRequirement {
  int needed = 0;
  int trigger = 0;
  std::vector<int> exempt;  // techniques that neither trigger the requirement nor are removed by it
};

struct Plan {
  std::vector<std::string> phases;
  std::vector<bool> targeted;  // per phase
  std::vector<PhaseRequirement> requirements;
  int max_per_phase = 3;
  int max_total = 10;
  int equipment_fact = -1;
  int area_fact = -1;
  std::string reason;
  std::vector<std::string> sources;
  std::string frequency;   // schedule: how often and how long to follow the plan
  std::string review;      // schedule: when to review it
  std::string safety_net;  // when to stop and get help; shown with every plan
  SourceLocation location;
};

// A group of questions a kiosk shows as one screen.
struct Section {
  std::string id;
  std::string title;
  std::string intro;
  std::vector<int> facts;  // in the order written
  SourceLocation location;
};

// What a patient referred at one tier must do; written once per tier.
struct NextStep {
  std::string action;
  std::string meanwhile;
  std::string escalate;
  std::vector<std::string> sources;
  SourceLocation location;
};

// The `ruleset` header. Dates are YYYY-MM-DD (checked); empty when not written.
struct Header {
  bool declared = false;
  std::string title;
  std::string version;  // semantic version, MAJOR.MINOR.PATCH
  std::string status;   // draft | testing | production | retired
  std::string approved_by;
  std::string approver_role;
  std::string approved_on;
  std::string review_due;
  std::string effective_from;
  std::string effective_until;
  SourceLocation location;
};

// A declared `source "ID"`.
struct Source {
  std::string id;
  std::string title;
  std::string url;
  std::string document;
  SourceLocation location;
};

// A risk on the DCB0129 5x5 matrix (see parse/language.hpp): indexes into severity_names and
// likelihood_names, and the rating 1..5 they give.
struct Risk {
  int severity = 0;
  int likelihood = 0;
  int rating = 0;
};

// What a hazard is controlled by: a red flag or a rule, by index.
struct Control {
  enum class Kind { red_flag, rule } kind = Kind::red_flag;
  int index = -1;
};

// A `hazard ID` of the hazard log.
struct Hazard {
  std::string id;
  std::string description;
  std::string cause;
  std::string harm;
  Risk initial_risk;
  Risk residual_risk;
  std::vector<Control> controls;
  SourceLocation location;
};

struct RuleFileInfo {
  std::string name;
  std::size_t size = 0;
};

struct Ruleset {
  std::vector<Fact> facts;  // declared facts first in source order, then derived facts
  std::vector<Tag> tags;
  std::vector<Technique> techniques;
  std::vector<RedFlag> red_flags;
  std::vector<Rule> rules;
  Plan plan;
  std::vector<Section> sections;             // in declaration order; may be empty
  std::optional<NextStep> next_steps[4];     // by Tier; [0] (none) is never set
  Header header;                             // header.declared is false when there is no `ruleset`
  std::vector<Source> sources;               // the source registry; may be empty
  std::vector<Hazard> hazards;               // the hazard log; may be empty
  std::vector<RuleFileInfo> files;
  std::string hash;  // "sha256:<hex>"
  // "sha256:<hex>" of the rule tests beside the rules (tests/*.cases, names and texts), empty when
  // there are none or the rules did not come from a folder. Not part of `hash` (tests decide
  // nothing), but under the ruleset signature: an approved release covers the tests it passed.
  std::string tests_hash;

  // Index of the fact with this id, or -1.
  int find_fact(const std::string& id) const;
};

const char* to_string(Tier tier);

// The declared source with this id, or nullptr.
const Source* find_source(const Ruleset& ruleset, const std::string& id);

}  // namespace triage::model
