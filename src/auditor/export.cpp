#include "auditor/export.hpp"


#include <ostream>

#include "api/decision_record.hpp"
#include "util/json_reader.hpp"
#include "util/json_writer.hpp"

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
    out << "seq,decision_id,decided_at,client,request_id,ruleset_hash,outcome,urgency,answers,decision,record_hash,replica_id,trace_id\n";
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
      out << json_object([&](JsonWriter& w) {
        w.number_field("seq", row.seq);
        w.string_field("decision_id", row.decision_id);
        w.string_field("decided_at", row.decided_at);
        w.string_field("client", row.client);
        w.string_field("request_id", row.request_id);
        w.string_field("ruleset_hash", row.ruleset_hash);
        w.raw_field("answers", row.answers);
        w.raw_field("decision", row.decision);
        w.string_field("record_hash", row.record_hash);
        w.string_field("replica_id", row.replica_id);
        w.string_field("trace_id", row.trace_id);
      }) << "\n";
    } else {
      OutcomeLabel label = outcome_label(row.decision);
      out << row.seq << ',' << csv_field(row.decision_id) << ',' << csv_field(row.decided_at) << ','
          << csv_field(row.client) << ',' << csv_field(row.request_id) << ',' << csv_field(row.ruleset_hash) << ','
          << csv_field(label.outcome) << ',' << csv_field(label.urgency) << ','
          << csv_field(row.answers) << ',' << csv_field(row.decision) << ',' << csv_field(row.record_hash) << ','
          << csv_field(row.replica_id) << ',' << csv_field(row.trace_id) << "\n";
    }
    ++written;
    return true;
  });
  return written;
}

}  // namespace triage
