#include "audit/record.hpp"

#include <charconv>

#include "util/sha256.hpp"

namespace triage {
namespace {

void append_field(std::string& out, const std::string& value) {
  out += std::to_string(value.size());
  out += ':';
  out += value;
  out += '\n';
}

}  // namespace

const std::string& genesis_hash() {
  static const std::string zeros(64, '0');
  return zeros;
}

std::string canonical_record(const DecisionRow& row) {
  std::string out;
  out.reserve(row.answers.size() + row.decision.size() + 256);
  for (const std::string* field : {&row.decision_id, &row.client, &row.request_id, &row.ruleset_hash, &row.answers,
                                   &row.decision, &row.decided_at}) {
    append_field(out, *field);
  }
  if (!row.replica_id.empty() || !row.trace_id.empty()) append_field(out, row.replica_id);
  if (!row.trace_id.empty()) append_field(out, row.trace_id);
  return out;
}

std::string chain_hash(const std::string& previous_hash, const DecisionRow& row) {
  // The bytes of canonical_record(row), fed to the digest field by field: the writer hashes every
  // record, and the record's answers and decision need not be copied into one string first.
  Sha256 hasher;
  hasher.update(previous_hash);
  hasher.update("\n");
  auto field = [&hasher](const std::string& value) {
    char length[24];
    auto end = std::to_chars(length, length + sizeof length - 1, value.size()).ptr;
    *end++ = ':';
    hasher.update(std::string_view(length, static_cast<std::size_t>(end - length)));
    hasher.update(value);
    hasher.update("\n");
  };
  for (const std::string* value : {&row.decision_id, &row.client, &row.request_id, &row.ruleset_hash, &row.answers,
                                   &row.decision, &row.decided_at}) {
    field(*value);
  }
  if (!row.replica_id.empty() || !row.trace_id.empty()) field(row.replica_id);
  if (!row.trace_id.empty()) field(row.trace_id);
  return hasher.hex_digest();
}

ChainBreak check_chain_link(const std::string& previous, const DecisionRow& row) {
  if (row.prev_hash != previous) return ChainBreak::link;
  if (chain_hash(previous, row) != row.record_hash) return ChainBreak::content;
  return ChainBreak::none;
}

std::string feedback_chain_hash(const std::string& previous_hash, const FeedbackRow& row) {
  std::string out = "feedback\n";
  for (const std::string* field : {&row.decision_id, &row.received_at, &row.service, &row.client, &row.outcome,
                                   &row.override_reason, &row.override_comment, &row.accepted_suggestions,
                                   &row.outcome_at}) {
    append_field(out, *field);
  }
  Sha256 hasher;
  hasher.update(previous_hash);
  hasher.update("\n");
  hasher.update(out);
  return hasher.hex_digest();
}

ChainBreak check_feedback_link(const std::string& previous, const FeedbackRow& row) {
  if (row.prev_hash != previous) return ChainBreak::link;
  if (feedback_chain_hash(previous, row) != row.record_hash) return ChainBreak::content;
  return ChainBreak::none;
}

std::string describe(ChainBreak broken) {
  switch (broken) {
    case ChainBreak::none:
      return "";
    case ChainBreak::link:
      return "its previous hash does not match the record before it: a record before it was deleted, inserted or "
             "reordered";
    case ChainBreak::content:
      return "its content does not match its hash: the record was edited";
  }
  return "";
}

std::string checkpoint_statement(const CheckpointRow& checkpoint) {
  return "triage audit checkpoint v1\nseq=" + std::to_string(checkpoint.seq) + "\nhead=" + checkpoint.head +
         "\nsigned_at=" + checkpoint.signed_at + "\nevery_records=" + std::to_string(checkpoint.every_records) +
         "\n" +
         (checkpoint.feedback_seq > 0 ? "feedback_seq=" + std::to_string(checkpoint.feedback_seq) +
                                            "\nfeedback_head=" + checkpoint.feedback_head + "\n"
                                      : std::string());
}

}  // namespace triage
