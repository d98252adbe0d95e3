// Diagnostics cross the API edge (ReloadResult.diagnostics) with every field, the code included.
#include <catch2/catch.hpp>

#include "api/diagnostic_proto.hpp"
#include "diag/render.hpp"
#include "diag/source_set.hpp"

namespace triage {

TEST_CASE("a diagnostic survives the trip through RuleDiagnostic", "[api]") {
  for (Severity severity : {Severity::error, Severity::warning, Severity::note}) {
    Diagnostic d{"unknown-fact", severity, {"red_flags.rules", 40, 10}, "unknown fact `nigth_pain`",
                 "did you mean `night_pain`?"};
    v1::RuleDiagnostic message;
    to_proto(d, message);
    CHECK(message.code() == "unknown-fact");
    CHECK(message.severity() == to_string(severity));
    Diagnostic back = from_proto(message);
    CHECK(render(back, SourceSet{}) == render(d, SourceSet{}));
    CHECK(back.severity == severity);
  }
  v1::RuleDiagnostic odd;
  odd.set_severity("fatal");
  CHECK(from_proto(odd).severity == Severity::error);
}

}  // namespace triage
