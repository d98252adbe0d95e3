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

}  // namespace triage::check
