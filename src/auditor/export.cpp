#include "auditor/export.hpp"


#include <ostream>

#include "api/decision_record.hpp"
#include "util/json_reader.hpp"
#include "util/json_text.hpp"

namespace triage {
namespace {

// RFC 4180: quote every field, double the quotes inside.
std::string csv_field(const std::string& value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::int64_t export_audit_log(AuditReader& reader, const DecisionFilter& filter, ExportFormat format,
                              std::ostream& out, std::string& bad_row) {
  std::int64_t written = 0;
  if (format == ExportFormat::csv) {
    out << "seq,decision_id,decided_at,client,request_id,ruleset_hash,outcome,urgency,answers,decision,record_hash\n";
  }
  reader.for_each_decision(filter, [&](const DecisionRow& row) {
    JsonValue parsed;
    std::string error;
    for (const std::string* json : {&row.answers, &row.decision}) {
      if (!read_json(*json, parsed, error) || parsed.kind != JsonValue::Kind::object) {
        bad_row = "record " + std::to_string(row.seq) + " does not hold JSON objects";
        return false;
      }
    }
    if (format == ExportFormat::jsonl) {
      // answers and decision are stored as JSON already: embed them as objects.
      out << "{\"seq\":" << row.seq << ",\"decision_id\":" << json_quote(row.decision_id)
          << ",\"decided_at\":" << json_quote(row.decided_at) << ",\"client\":" << json_quote(row.client)
          << ",\"request_id\":" << json_quote(row.request_id) << ",\"ruleset_hash\":" << json_quote(row.ruleset_hash)
          << ",\"answers\":" << row.answers << ",\"decision\":" << row.decision
          << ",\"record_hash\":" << json_quote(row.record_hash) << "}\n";
    } else {
      OutcomeLabel label = outcome_label(row.decision);
      out << row.seq << ',' << csv_field(row.decision_id) << ',' << csv_field(row.decided_at) << ','
          << csv_field(row.client) << ',' << csv_field(row.request_id) << ',' << csv_field(row.ruleset_hash) << ','
          << csv_field(label.outcome) << ',' << csv_field(label.urgency) << ','
          << csv_field(row.answers) << ',' << csv_field(row.decision) << ',' << csv_field(row.record_hash) << "\n";
    }
    ++written;
    return true;
  });
  return written;
}

}  // namespace triage
