#pragma once
// Diagnostics across the API edge (ReloadResult.diagnostics): the same fields both ways, so a
// client renders them with the one renderer (diag/render.hpp).
#include "diag/diagnostic.hpp"
#include "triage/v1/triage.pb.h"

namespace triage {

// Writes `diagnostic` into `out`.
void to_proto(const Diagnostic& diagnostic, v1::RuleDiagnostic& out);

// The diagnostic a message holds; an unknown severity reads as an error.
Diagnostic from_proto(const v1::RuleDiagnostic& message);

}  // namespace triage
