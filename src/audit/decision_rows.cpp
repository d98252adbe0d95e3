#include "audit/decision_rows.hpp"

namespace triage::audit_schema {

std::string decision_columns(int schema) {
  return std::string("seq, decision_id, decided_at, client, request_id, ruleset_hash, answers, decision, "
                     "prev_hash, record_hash, ") +
         (schema >= replica_id_since ? "replica_id" : "''") + ", " + (schema >= trace_id_since ? "trace_id" : "''");
}

void read_decision_row(const sql::Statement& statement, DecisionRow& row) {
  row.seq = statement.integer(0);
  row.decision_id = statement.text(1);
  row.decided_at = statement.text(2);
  row.client = statement.text(3);
  row.request_id = statement.text(4);
  row.ruleset_hash = statement.text(5);
  row.answers = statement.text(6);
  row.decision = statement.text(7);
  row.prev_hash = statement.text(8);
  row.record_hash = statement.text(9);
  row.replica_id = statement.text(10);
  row.trace_id = statement.text(11);
}

}  // namespace triage::audit_schema
