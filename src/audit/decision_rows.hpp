#pragma once
// The decisions table as its readers see it: one column list and one row reader, shared by the
// writer's start-up check and the auditor's reader, so a new column is added in one place.
#include <string>

#include "audit/record.hpp"
#include "audit/sqlite.hpp"

namespace triage::audit_schema {

// The newest schema this build writes and reads (PRAGMA user_version).
constexpr int version = 7;

// The first schema with a replica_id column (covered by the chain when not empty).
constexpr int replica_id_since = 2;

// The first schema with a trace_id column (covered by the chain when not empty).
constexpr int trace_id_since = 6;

// The first schema whose feedback has its own hash chain (prev_hash, record_hash) and whose
// checkpoints cover the feedback head (feedback_seq, feedback_head).
constexpr int feedback_chain_since = 7;

// The first schema whose rulesets table has the signature columns (signer, signing_key,
// signature, signed_statement).
constexpr int signatures_since = 3;

// The SELECT list of a decisions row in DecisionRow order. A log older than `replica_id_since`
// has no replica_id column and reads it as ''; one older than `trace_id_since` reads trace_id as ''.
std::string decision_columns(int schema);

// Fills `row` from a statement that selected decision_columns() first.
void read_decision_row(const sql::Statement& statement, DecisionRow& row);

}  // namespace triage::audit_schema
