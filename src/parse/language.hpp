#pragma once
// The rule language's vocabulary in one table: declaration words, reserved words, tier names and,
// for every property key, the kind of value it takes, the declarations that accept it, whether it
// is required or repeatable there, and where `fmt` prints it. The grammar's symbol tables, the
// parser's hints, the checker's property checks and the formatter all read these tables, so a new
// key is added in one row.
#include <array>
#include <cstdint>
#include <string_view>

namespace triage::language {

// The declarations of the language, by their leading keyword.
enum class Decl : std::uint8_t {
  fact, derived, tag, technique, red_flag, rule, plan, section, next_step, ruleset, source, hazard };

inline constexpr std::array<std::string_view, 12> declaration_words{
    "fact", "derived", "tag", "technique", "red_flag", "rule", "plan", "section", "next_step",
    "ruleset", "source", "hazard"};

// Governance: the statuses of a ruleset (and of one rule), least ready first.
inline constexpr std::array<std::string_view, 4> status_names{"draft", "testing", "production", "retired"};

// The DCB0129 5x5 clinical risk matrix: severity (columns) and likelihood (rows); a risk is written
// `SEVERITY, LIKELIHOOD` and rated 1 (acceptable) .. 5 (unacceptable) by risk_matrix[likelihood][severity].
inline constexpr std::array<std::string_view, 5> severity_names{"minor", "significant", "considerable", "major",
                                                                "catastrophic"};
inline constexpr std::array<std::string_view, 5> likelihood_names{"very_low", "low", "medium", "high", "very_high"};
inline constexpr int risk_matrix[5][5] = {
    {1, 1, 2, 2, 3},  // very_low
    {1, 2, 2, 3, 4},  // low
    {2, 2, 3, 3, 4},  // medium
    {2, 3, 3, 4, 5},  // high
    {3, 4, 4, 5, 5},  // very_high
};

// Words with a meaning inside conditions; they cannot name facts or values.
inline constexpr std::array<std::string_view, 6> reserved_words{"and", "or", "not", "in", "has", "always"};

// Urgency tiers, least urgent first (their index + 1 is model::Tier).
inline constexpr std::array<std::string_view, 3> tier_names{"routine", "urgent", "emergency"};

// What a property's value looks like, which decides how the grammar reads it and fmt prints it.
enum class ValueKind : std::uint8_t {
  text,     // key "words" "more words"
  names,    // key a, b, c
  sources,  // key "001", "NICE NG59"
  number,   // key 12
  value,    // default true | 12 | name | {a, b}
  require,  // require A whenever B [except X, Y]
  label,    // label VALUE "words"
};

constexpr std::uint16_t bit(Decl d) { return static_cast<std::uint16_t>(1U << static_cast<unsigned>(d)); }

struct PropertyKey {
  std::string_view key;
  ValueKind kind;
  std::uint16_t allowed;     // bit(Decl) of the declarations that accept it
  std::uint16_t required;    // bit(Decl) of the declarations that must have it
  std::uint16_t repeatable;  // bit(Decl) of the declarations where it may be given more than once
  std::uint16_t patient = 0;  // bit(Decl) of the declarations where a patient reads it (grade 8 or below)
};

namespace detail {
constexpr auto fact = bit(Decl::fact), derived = bit(Decl::derived), technique = bit(Decl::technique),
               red_flag = bit(Decl::red_flag), rule = bit(Decl::rule), plan = bit(Decl::plan),
               section = bit(Decl::section), next_step = bit(Decl::next_step), ruleset = bit(Decl::ruleset),
               source = bit(Decl::source), hazard = bit(Decl::hazard);
}  // namespace detail

// Rows are in `fmt` order: a declaration's properties are printed in the order of this table.
inline constexpr PropertyKey property_keys[] = {
    // facts: the question a kiosk shows
    {"question", ValueKind::text, detail::fact, detail::fact, 0, detail::fact},
    {"help", ValueKind::text, detail::fact, 0, 0, detail::fact},
    {"default", ValueKind::value, detail::fact, 0, 0},
    {"min_choices", ValueKind::number, detail::fact, 0, 0},
    {"label", ValueKind::label, detail::fact, 0, detail::fact, detail::fact},
    {"meaning", ValueKind::text, detail::derived, 0, 0},
    // sections and techniques
    {"title", ValueKind::text, detail::technique | detail::section | detail::ruleset | detail::source,
     detail::technique | detail::section | detail::ruleset | detail::source, 0, detail::technique | detail::section},
    {"version", ValueKind::text, detail::ruleset, detail::ruleset, 0},
    {"status", ValueKind::names, detail::ruleset | detail::red_flag | detail::rule, detail::ruleset, 0},
    {"approved_by", ValueKind::text, detail::ruleset, 0, 0},
    {"approver_role", ValueKind::text, detail::ruleset, 0, 0},
    {"approved_on", ValueKind::text, detail::ruleset, 0, 0},
    {"review_due", ValueKind::text, detail::ruleset, 0, 0},
    {"effective_from", ValueKind::text, detail::ruleset, 0, 0},
    {"effective_until", ValueKind::text, detail::ruleset, 0, 0},
    // governance: sources and hazards
    {"url", ValueKind::text, detail::source, 0, 0},
    {"document", ValueKind::text, detail::source, 0, 0},
    {"description", ValueKind::text, detail::hazard, detail::hazard, 0},
    {"cause", ValueKind::text, detail::hazard, detail::hazard, 0},
    {"harm", ValueKind::text, detail::hazard, detail::hazard, 0},
    {"initial_risk", ValueKind::names, detail::hazard, detail::hazard, 0},
    {"controls", ValueKind::names, detail::hazard, 0, 0},
    {"residual_risk", ValueKind::names, detail::hazard, detail::hazard, 0},
    {"intro", ValueKind::text, detail::section, 0, 0, detail::section},
    {"facts", ValueKind::names, detail::section, detail::section, 0},
    {"phase", ValueKind::names, detail::technique, detail::technique, 0},
    {"tags", ValueKind::names, detail::technique, 0, 0},
    {"needs", ValueKind::names, detail::technique, 0, 0},
    {"targets", ValueKind::names, detail::technique, 0, 0},
    {"instructions", ValueKind::text, detail::technique, detail::technique, 0, detail::technique},
    {"dose", ValueKind::text, detail::technique, detail::technique, 0, detail::technique},
    {"benefit", ValueKind::text, detail::technique, 0, 0, detail::technique},
    {"caution", ValueKind::text, detail::technique, 0, detail::technique, detail::technique},
    // next steps per tier
    {"action", ValueKind::text, detail::next_step, detail::next_step, 0, detail::next_step},
    {"meanwhile", ValueKind::text, detail::next_step, 0, 0, detail::next_step},
    {"escalate", ValueKind::text, detail::next_step, 0, 0, detail::next_step},
    // the plan
    {"phases", ValueKind::names, detail::plan, detail::plan, 0},
    {"targeted", ValueKind::names, detail::plan, 0, 0},
    {"require", ValueKind::require, detail::plan, 0, detail::plan},
    {"max_per_phase", ValueKind::number, detail::plan, detail::plan, 0},
    {"max_total", ValueKind::number, detail::plan, detail::plan, 0},
    {"equipment_fact", ValueKind::names, detail::plan, detail::plan, 0},
    {"area_fact", ValueKind::names, detail::plan, detail::plan, 0},
    {"frequency", ValueKind::text, detail::plan, 0, 0, detail::plan},
    {"review", ValueKind::text, detail::plan, 0, 0, detail::plan},
    {"safety_net", ValueKind::text, detail::plan, 0, detail::plan, detail::plan},
    // explanations
    {"reason", ValueKind::text, detail::red_flag | detail::rule | detail::plan,
     detail::red_flag | detail::rule | detail::plan, 0, detail::red_flag | detail::rule | detail::plan},
    {"sources", ValueKind::sources, detail::technique | detail::red_flag | detail::rule | detail::plan | detail::next_step,
     detail::technique | detail::red_flag | detail::rule | detail::plan | detail::next_step,
     detail::technique | detail::red_flag | detail::rule | detail::plan | detail::next_step},
    // governance: per-rule maintenance
    {"author", ValueKind::text, detail::red_flag | detail::rule, 0, 0},
    {"reviewed", ValueKind::text, detail::red_flag | detail::rule, 0, 0},
};

// `source` is read as `sources` inside a declaration, unless one string follows it and then a key of
// a `source` declaration (title, url, document): that starts a `source "ID"` declaration.
inline constexpr std::string_view sources_alias = "source";

// The row of `key`, or nullptr.
constexpr const PropertyKey* find_property(std::string_view key) {
  for (const auto& row : property_keys) {
    if (row.key == key) return &row;
  }
  return nullptr;
}

// Where `key` is printed by fmt (the row number); unknown keys go last.
constexpr int property_rank(std::string_view key) {
  int rank = 0;
  for (const auto& row : property_keys) {
    if (row.key == key) return rank;
    ++rank;
  }
  return rank;
}

// The keyword that starts a declaration of this kind.
constexpr std::string_view word(Decl d) { return declaration_words[static_cast<std::size_t>(d)]; }

}  // namespace triage::language
