#pragma once
// Resolves a written condition into a model::Cond, reporting unknown names and type mismatches.
#include "check/context.hpp"
#include "model/ruleset.hpp"
#include "parse/ast.hpp"

namespace triage::check {

// Needs the fact table filled. On an error the offending part becomes `always` so checking goes on.
model::Cond resolve_condition(const ast::Expr& expr, Context& context, const SourceFile* file);

// Reports derived facts whose definitions refer to each other in a cycle.
void check_derived_cycles(Context& context);

// How many tests a condition holds once derived facts are written out (as the compiler inlines
// them), saturating at a large bound. Needs derived cycles broken first.
std::size_t expanded_size(const model::Ruleset& ruleset, const model::Cond& cond);

// The most tests one condition may expand to.
inline constexpr std::size_t max_expanded_size = 100000;

}  // namespace triage::check
