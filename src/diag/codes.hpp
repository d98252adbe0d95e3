#pragma once
// The codes diagnostics carry (Diagnostic::code), each listed once in `all` with the stage that
// reports it and a one-line meaning. Codes are stable identifiers for tools and filters:
// `error[unknown-fact]` in text, "code" in JSON. docs/diagnostic-codes.md is this table (a test
// keeps the two equal). The named constants below are checked against the table when compiled.
#include <string_view>

namespace triage::code {

struct Code {
  std::string_view name;     // kebab-case, never reused for another meaning
  std::string_view stage;    // the folder(s) that report it
  std::string_view meaning;  // one line
};

inline constexpr Code all[] = {
    // Reading the rules (parse/).
    {"syntax", "parse", "the text does not follow the rule language's grammar"},
    // Checking the declarations (check/).
    {"duplicate-name", "check", "two declarations of one kind (facts, tags, techniques, rules, ...) share a name"},
    {"duplicate-declaration", "check", "a declaration a ruleset has once (`plan`, a tier's `next_step`) is there twice"},
    {"duplicate-value", "check", "a value is listed twice in a fact, or given two labels"},
    {"duplicate-property", "check", "a property that may be given once is given twice"},
    {"unknown-property", "check", "a property the declaration does not have"},
    {"missing-property", "check", "a declaration lacks a property it requires"},
    {"empty-property", "check", "a property holds nothing: blank text, or no sources"},
    {"invalid-property", "check", "a property's value has the wrong shape (one fact where several are named, ...)"},
    {"missing-declaration", "check", "the ruleset lacks a declaration it needs (`plan`)"},
    {"unknown-fact", "check", "a name used as a fact is not declared"},
    {"unknown-value", "check", "a name is not one of its fact's values"},
    {"unknown-technique", "check", "a name used as a technique is not declared"},
    {"unknown-tag", "check", "a name used as a tag is not declared"},
    {"unknown-phase", "check", "a name used as a phase is not one of the plan's phases"},
    {"unknown-urgency", "check", "a referral names no tier (emergency, urgent or routine)"},
    {"type-mismatch", "check", "a fact or default is used in a way its type does not allow"},
    {"out-of-range", "check", "a number lies outside the range its fact or property allows"},
    {"empty-type", "check", "a fact admits no answer: an empty int range, or an enum or set with no values"},
    {"missing-label", "check", "some values of a fact have labels and this one has none"},
    {"section-membership", "check", "a question is in no section or in two, or a derived fact is in one"},
    {"derived-cycle", "check", "a derived fact is defined in terms of itself"},
    {"readability", "check", "a patient-facing text reads above grade 8 (Flesch-Kincaid) or has a sentence over 25 words"},
    {"invalid-effect", "check", "an effect the rule or its targets do not allow (`refer` in a rule, `order` across phases, ...)"},
    {"limit-exceeded", "parse, check", "the rules exceed a limit that protects the checker and the server (docs/limits.md)"},
    {"unknown-source", "check", "a `sources` property cites an id the source registry does not declare"},
    {"unknown-control", "check", "a hazard's `controls` names no red flag or rule"},
    // Governance review: `triage check` warns, `triage check --release` refuses (check/).
    {"unused-source", "check", "a declared source is never cited"},
    {"uncontrolled-red-flag", "check", "a red flag controls no hazard in the hazard log"},
    {"uncontrolled-hazard", "check", "a hazard has no control"},
    {"release-gate", "check", "the header does not allow a release: a missing field, status not production, out of its effective period, or no sources or hazard log"},
    {"review-due", "check", "the ruleset's review date has passed (error) or is within 30 days (warning)"},
    {"residual-risk", "check", "a hazard's residual risk is 4 or 5 on the risk matrix"},
    {"untested-control", "check, cli", "a hazard control is exercised by no `.cases` test, or there are no tests"},
    {"failing-tests", "cli", "`triage check --release` found rule tests that fail"},
    // The whole-ruleset safety analysis (analyze/).
    {"red-flag-safety", "analyze", "a red flag can never fire, fires without referring at its tier, or its question has a default"},
    {"monotonicity", "analyze", "answering yes to one more red-flag question lowers the urgency or removes a referral"},
    {"conflict", "analyze", "one intake both includes and avoids a technique"},
    {"order-cycle", "analyze", "the `order` effects that apply to one intake form a cycle"},
    {"dead-rule", "analyze", "no intake makes the rule hold, or it holds only when a red flag fires"},
    {"redundant-rule", "analyze", "another rule has the same effects whenever this one holds"},
    {"unreachable-technique", "analyze", "no intake receives the technique in its plan"},
    {"unused", "analyze", "a fact, tag, equipment value or derived fact is declared but never used"},
    {"reason-scope", "analyze", "one rule includes and avoids techniques with a single reason"},
    {"next-step", "analyze", "a tier that red flags refer to has no next step"},
    {"analysis-limit", "analyze", "the rules are too large for the safety analysis to cover"},
    // Rule test cases (ruletest/).
    {"case-syntax", "ruletest", "a line of a .cases file is malformed"},
    // Opening a ruleset to serve it (ruleset/, serve/).
    {"rules-folder", "ruleset", "the rules folder cannot be read"},
    {"audit-store", "serve", "the audit log could not store the ruleset, so it does not serve"},
    {"rollback", "serve", "under --require-approved: a reload to a lower version than the one served, without --allow-rollback"},
    {"not-approved", "ruleset", "under --require-approved: unsigned, signed by an unknown key, changed since signing, not production, out of its effective period or past review"},
};

// The code named `name`; a name not in `all` fails to compile.
consteval std::string_view known(std::string_view name) {
  for (const Code& c : all) {
    if (c.name == name) return c.name;
  }
  throw "not a diagnostic code: add it to triage::code::all";
}

// The row of `name`, or nullptr.
constexpr const Code* find(std::string_view name) {
  for (const Code& c : all) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

inline constexpr std::string_view syntax = known("syntax");
inline constexpr std::string_view duplicate_name = known("duplicate-name");
inline constexpr std::string_view duplicate_declaration = known("duplicate-declaration");
inline constexpr std::string_view duplicate_value = known("duplicate-value");
inline constexpr std::string_view duplicate_property = known("duplicate-property");
inline constexpr std::string_view unknown_property = known("unknown-property");
inline constexpr std::string_view missing_property = known("missing-property");
inline constexpr std::string_view empty_property = known("empty-property");
inline constexpr std::string_view invalid_property = known("invalid-property");
inline constexpr std::string_view missing_declaration = known("missing-declaration");
inline constexpr std::string_view unknown_fact = known("unknown-fact");
inline constexpr std::string_view unknown_value = known("unknown-value");
inline constexpr std::string_view unknown_technique = known("unknown-technique");
inline constexpr std::string_view unknown_tag = known("unknown-tag");
inline constexpr std::string_view unknown_phase = known("unknown-phase");
inline constexpr std::string_view unknown_urgency = known("unknown-urgency");
inline constexpr std::string_view type_mismatch = known("type-mismatch");
inline constexpr std::string_view out_of_range = known("out-of-range");
inline constexpr std::string_view empty_type = known("empty-type");
inline constexpr std::string_view missing_label = known("missing-label");
inline constexpr std::string_view section_membership = known("section-membership");
inline constexpr std::string_view derived_cycle = known("derived-cycle");
inline constexpr std::string_view invalid_effect = known("invalid-effect");
inline constexpr std::string_view limit_exceeded = known("limit-exceeded");

inline constexpr std::string_view unknown_source = known("unknown-source");
inline constexpr std::string_view unknown_control = known("unknown-control");
inline constexpr std::string_view unused_source = known("unused-source");
inline constexpr std::string_view uncontrolled_red_flag = known("uncontrolled-red-flag");
inline constexpr std::string_view uncontrolled_hazard = known("uncontrolled-hazard");
inline constexpr std::string_view release_gate = known("release-gate");
inline constexpr std::string_view review_due = known("review-due");
inline constexpr std::string_view residual_risk = known("residual-risk");
inline constexpr std::string_view untested_control = known("untested-control");
inline constexpr std::string_view failing_tests = known("failing-tests");

inline constexpr std::string_view red_flag_safety = known("red-flag-safety");
inline constexpr std::string_view monotonicity = known("monotonicity");
inline constexpr std::string_view conflict = known("conflict");
inline constexpr std::string_view order_cycle = known("order-cycle");
inline constexpr std::string_view dead_rule = known("dead-rule");
inline constexpr std::string_view redundant_rule = known("redundant-rule");
inline constexpr std::string_view unreachable_technique = known("unreachable-technique");
inline constexpr std::string_view unused = known("unused");
inline constexpr std::string_view reason_scope = known("reason-scope");
inline constexpr std::string_view next_step = known("next-step");
inline constexpr std::string_view readability = known("readability");
inline constexpr std::string_view analysis_limit = known("analysis-limit");

inline constexpr std::string_view case_syntax = known("case-syntax");
inline constexpr std::string_view rules_folder = known("rules-folder");
inline constexpr std::string_view audit_store = known("audit-store");
inline constexpr std::string_view not_approved = known("not-approved");
inline constexpr std::string_view rollback = known("rollback");

}  // namespace triage::code
