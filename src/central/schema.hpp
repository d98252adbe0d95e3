#pragma once
// The central audit store in PostgreSQL: every replica's decisions keyed by (replica_id, seq),
// rulesets by hash, the heads central verification has accepted, and faults the shippers met.
// Append-only: triggers refuse UPDATE, DELETE and TRUNCATE on every table, and the roles the tool
// creates (triage_writer: SELECT and INSERT; triage_reader: SELECT) hold no other rights.
#include <string>

#include "central/pg.hpp"

namespace triage::central {

// The newest schema version this build knows.
int central_schema_version();

// Creates or migrates the central schema (serialised by an advisory lock, so replicas starting at
// once are safe). False with `error` when the store has a newer schema or a migration fails.
bool migrate_central(pg::Connection& connection, std::string& error);

}  // namespace triage::central
