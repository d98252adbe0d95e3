#include "central/schema.hpp"

namespace triage::central {
namespace {

// Each migration takes the central schema from version i to i + 1. Never edit one that shipped.
const char* const migrations[] = {
    R"sql(
    CREATE TABLE triage_rulesets (
      hash text PRIMARY KEY,
      first_seen timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE triage_ruleset_files (
      hash text NOT NULL REFERENCES triage_rulesets(hash),
      name text NOT NULL,
      body text NOT NULL,
      PRIMARY KEY (hash, name)
    );
    CREATE TABLE triage_decisions (
      replica_id text NOT NULL,
      seq bigint NOT NULL,
      decision_id text NOT NULL UNIQUE,
      decided_at text NOT NULL,
      client text NOT NULL,
      request_id text NOT NULL,
      ruleset_hash text NOT NULL REFERENCES triage_rulesets(hash),
      answers text NOT NULL,
      decision text NOT NULL,
      recorded_replica_id text NOT NULL,
      prev_hash text NOT NULL,
      record_hash text NOT NULL,
      shipped_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (replica_id, seq)
    );
    CREATE INDEX triage_decisions_decided_at ON triage_decisions (decided_at);
    CREATE TABLE triage_verified_heads (
      replica_id text NOT NULL,
      seq bigint NOT NULL,
      record_hash text NOT NULL,
      verified_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      PRIMARY KEY (replica_id, verified_at)
    );
    CREATE TABLE triage_ship_faults (
      replica_id text NOT NULL,
      noticed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      problem text NOT NULL
    );
    CREATE FUNCTION triage_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'the triage audit store is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
    END $$;
    DO $$
    DECLARE t text;
    BEGIN
      FOREACH t IN ARRAY ARRAY['triage_rulesets', 'triage_ruleset_files', 'triage_decisions',
                               'triage_verified_heads', 'triage_ship_faults'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW '
                       'EXECUTE FUNCTION triage_append_only()', t || '_no_change', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT '
                       'EXECUTE FUNCTION triage_append_only()', t || '_no_truncate', t);
      END LOOP;
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'triage_writer') THEN
        CREATE ROLE triage_writer NOLOGIN;
      END IF;
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'triage_reader') THEN
        CREATE ROLE triage_reader NOLOGIN;
      END IF;
    END $$;
    REVOKE ALL ON triage_rulesets, triage_ruleset_files, triage_decisions, triage_verified_heads,
      triage_ship_faults FROM PUBLIC;
    GRANT SELECT, INSERT ON triage_rulesets, triage_ruleset_files, triage_decisions, triage_verified_heads,
      triage_ship_faults TO triage_writer;
    GRANT SELECT ON triage_rulesets, triage_ruleset_files, triage_decisions, triage_verified_heads,
      triage_ship_faults TO triage_reader;
    GRANT INSERT ON triage_verified_heads TO triage_reader;
    )sql",
    // 2: the W3C trace id a decision was asked under (local schema 6), covered by the chain when
    // not empty; older rows read ''.
    "ALTER TABLE triage_decisions ADD COLUMN trace_id text NOT NULL DEFAULT ''",
    // 3: clinician feedback (local schema 7), each replica's own hash chain, append-only like the
    // decisions. No foreign key to the decisions: feedback never waits for a decision that is held
    // back (a record the store refuses), and verify names a card it cannot find instead.
    R"sql(
    CREATE TABLE triage_feedback (
      replica_id text NOT NULL,
      seq bigint NOT NULL,
      decision_id text NOT NULL,
      received_at text NOT NULL,
      service text NOT NULL,
      client text NOT NULL,
      outcome text NOT NULL,
      override_reason text NOT NULL,
      override_comment text NOT NULL,
      accepted_suggestions text NOT NULL,
      outcome_at text NOT NULL,
      prev_hash text NOT NULL,
      record_hash text NOT NULL,
      shipped_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (replica_id, seq)
    );
    CREATE INDEX triage_feedback_decision ON triage_feedback (decision_id);
    CREATE TRIGGER triage_feedback_no_change BEFORE UPDATE OR DELETE ON triage_feedback FOR EACH ROW
      EXECUTE FUNCTION triage_append_only();
    CREATE TRIGGER triage_feedback_no_truncate BEFORE TRUNCATE ON triage_feedback FOR EACH STATEMENT
      EXECUTE FUNCTION triage_append_only();
    REVOKE ALL ON triage_feedback FROM PUBLIC;
    GRANT SELECT, INSERT ON triage_feedback TO triage_writer;
    GRANT SELECT ON triage_feedback TO triage_reader;
    ALTER TABLE triage_verified_heads ADD COLUMN feedback_seq bigint NOT NULL DEFAULT 0;
    ALTER TABLE triage_verified_heads ADD COLUMN feedback_hash text NOT NULL DEFAULT '';
    )sql",
};

constexpr int known_version = sizeof(migrations) / sizeof(migrations[0]);

}  // namespace

int central_schema_version() { return known_version; }

bool migrate_central(pg::Connection& connection, std::string& error) {
  try {
    pg::Transaction transaction(connection);
    // One migrator at a time, across every replica and tool.
    connection.exec("SELECT pg_advisory_xact_lock(7270111)");
    // Checked first, so a role that may only insert can still use an up-to-date store.
    if (connection.exec("SELECT to_regclass('triage_schema') IS NULL").text(0, 0) == "t") {
      connection.exec("CREATE TABLE triage_schema (version integer NOT NULL, "
                      "applied_at timestamptz NOT NULL DEFAULT now())");
      connection.exec("GRANT SELECT ON triage_schema TO PUBLIC");
    }
    pg::Result current = connection.exec("SELECT coalesce(max(version), 0) FROM triage_schema");
    int version = static_cast<int>(current.integer(0, 0));
    if (version > known_version) {
      error = "the central store has schema version " + std::to_string(version) + "; this triage knows up to " +
              std::to_string(known_version) + " (use a newer triage)";
      return false;
    }
    for (int v = version; v < known_version; ++v) {
      connection.exec(migrations[v]);
      connection.exec("INSERT INTO triage_schema (version) VALUES ($1)", {std::to_string(v + 1)});
    }
    transaction.commit();
    return true;
  } catch (const pg::PgError& failure) {
    error = std::string("cannot create or migrate the central schema: ") + failure.what();
    return false;
  }
}

}  // namespace triage::central
