#pragma once
// A decision record as the audit log stores it, and the hash chain over records. Shared by the
// writer and the auditor tools, so both compute the chain the same way.
#include <cstdint>
#include <string>

#include "util/utc_time.hpp"

namespace triage {

struct DecisionRow {
  std::int64_t seq = 0;
  std::string decision_id;
  std::string decided_at;  // UTC, RFC 3339 with microseconds: 2026-11-21T05:20:23.988866Z
  std::string client;
  std::string request_id;
  std::string ruleset_hash;
  std::string answers;   // canonical JSON, keys sorted
  std::string decision;  // canonical decision record (api/decision_record.hpp)
  std::string replica_id;  // the server that decided (schema 2); empty in records written before it
  std::string trace_id;    // W3C trace id of the call that asked (schema 6); empty when none was kept
  std::string prev_hash;
  std::string record_hash;
};

// The previous hash of the first record.
const std::string& genesis_hash();

// One stored feedback entry (see FeedbackEntry in audit_log.hpp). Feedback has its own hash chain
// (schema 7), from genesis_hash(), beside the decisions' chain; signed checkpoints cover its head.
struct FeedbackRow {
  std::int64_t seq = 0;
  std::string decision_id;
  std::string received_at;
  std::string service;
  std::string client;
  std::string outcome;
  std::string override_reason;
  std::string override_comment;
  std::string accepted_suggestions;
  std::string outcome_at;
  std::string prev_hash;    // empty in a log read before schema 7 (rows are chained when it opens)
  std::string record_hash;
};

// Lower-case hex SHA-256 of `previous_hash`, a newline, a fixed "feedback" line and each field of
// the entry (all but seq and the hashes) as `<length>:<bytes>\n`.
std::string feedback_chain_hash(const std::string& previous_hash, const FeedbackRow& row);

// The feedback chain's rule for one entry, as check_chain_link for decisions.
enum class ChainBreak;
ChainBreak check_feedback_link(const std::string& previous, const FeedbackRow& row);


// The bytes a record's hash covers: each of decision_id, client, request_id, ruleset_hash,
// answers, decision and decided_at as `<length>:<bytes>\n`, then `replica_id` the same way when it
// or `trace_id` is not empty, then `trace_id` when it is not empty (so records written before
// replica ids or trace ids keep their hashes, and a trace id can never pass for a replica id).
std::string canonical_record(const DecisionRow& row);

// Lower-case hex SHA-256 of `previous_hash`, a newline and the canonical record.
std::string chain_hash(const std::string& previous_hash, const DecisionRow& row);

// Where a record breaks the hash chain, if it does.
enum class ChainBreak {
  none,
  link,     // it does not name the record before it: a record was deleted, inserted or reordered
  content,  // its hash does not cover its content: the record was edited
};

// The chain's rule for one record: it names `previous` (the hash of the record before it, or
// genesis_hash() for the first) and its own hash covers its content. The one check every reader
// of a chain uses: `audit verify`, the central store's verify and the writer's start-up check.
ChainBreak check_chain_link(const std::string& previous, const DecisionRow& row);

// The sentence every tool says for a break ("" for none).
std::string describe(ChainBreak broken);

// A signed checkpoint: the chain head after record `seq` (so the count of records 1..seq), signed
// with a key kept outside the log. Anyone who can write the file can recompute every hash, but not
// these signatures, so a rewritten or truncated history no longer matches them.
struct CheckpointRow {
  std::int64_t seq = 0;           // the last record it covers
  std::string head;               // that record's record_hash
  std::string signed_at;          // UTC, RFC 3339 with microseconds
  std::int64_t every_records = 0; // the server's interval: the unsigned tail stays shorter than this
  std::string key_id;             // "sha256:<hex>" of the signing public key
  std::string signature;          // Ed25519, base64
  std::int64_t feedback_seq = 0;  // the last feedback entry it covers (0: none; schema 7)
  std::string feedback_head;      // that entry's record_hash
};

// The exact bytes a checkpoint's signature covers: a fixed first line, then seq, head, signed_at
// and every_records, one `name=value` per line, then feedback_seq and feedback_head when it covers
// feedback (so checkpoints signed before feedback was chained keep their signatures).
std::string checkpoint_statement(const CheckpointRow& checkpoint);

}  // namespace triage
