#pragma once
// The codes diagnostics carry (Diagnostic::code), named once. Codes are stable identifiers for
// tools and filters: `error[red-flag-safety]` in text, "code" in JSON.
#include <string_view>

namespace triage::code {

// The whole-ruleset safety analysis (analyze/).
inline constexpr std::string_view red_flag_safety = "red-flag-safety";
inline constexpr std::string_view monotonicity = "monotonicity";
inline constexpr std::string_view conflict = "conflict";
inline constexpr std::string_view order_cycle = "order-cycle";
inline constexpr std::string_view dead_rule = "dead-rule";
inline constexpr std::string_view redundant_rule = "redundant-rule";
inline constexpr std::string_view unreachable_technique = "unreachable-technique";
inline constexpr std::string_view unused = "unused";
inline constexpr std::string_view reason_scope = "reason-scope";
inline constexpr std::string_view next_step = "next-step";
inline constexpr std::string_view analysis_limit = "analysis-limit";

// Reading the rules folder (ruleset/).
inline constexpr std::string_view rules_folder = "rules-folder";

}  // namespace triage::code
