#pragma once
// `triage audit export`: the decisions of an audit log as JSON lines or CSV, for analysis in other
// tools. Patient answers are included: the output is as sensitive as the log itself.
#include <iosfwd>
#include <string>

#include "audit/reader.hpp"

namespace triage {

enum class ExportFormat { jsonl, csv };

// Writes the selected decisions; returns how many. Stops at a row whose answers or record are not
// JSON objects (a damaged or tampered log), naming it in `bad_row`.
std::int64_t export_audit_log(AuditReader& reader, const DecisionFilter& filter, ExportFormat format,
                              std::ostream& out, std::string& bad_row);

}  // namespace triage
