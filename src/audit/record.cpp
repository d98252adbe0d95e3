#include "audit/record.hpp"

#include <charconv>
#include <string_view>

#include "util/sha256.hpp"

namespace triage {
namespace {

// Hands `<length>:<bytes>\n` of `value` to `emit` in pieces, so a digest can take the value
// without it being copied first. Every chained field is written this way.
template <typename Emit>
void length_prefixed(const std::string& value, Emit emit) {
  char length[24];
  auto end = std::to_chars(length, length + sizeof length - 1, value.size()).ptr;
  *end++ = ':';
  emit(std::string_view(length, static_cast<std::size_t>(end - length)));
  emit(std::string_view(value));
  emit(std::string_view("\n"));
}

// The fields a decision record's hash covers, in order (see canonical_record in record.hpp).
template <typename Visit>
void canonical_fields(const DecisionRow& row, Visit visit) {
  for (const std::string* field : {&row.decision_id, &row.client, &row.request_id, &row.ruleset_hash, &row.answers,
                                   &row.decision, &row.decided_at}) {
    visit(*field);
  }
  if (!row.replica_id.empty() || !row.trace_id.empty()) visit(row.replica_id);
  if (!row.trace_id.empty()) visit(row.trace_id);
}

// SHA-256 hex of `previous_hash`, a newline, then `bytes(emit)`'s pieces.
template <typename Bytes>
std::string linked_hash(const std::string& previous_hash, Bytes bytes) {
  Sha256 hasher;
  hasher.update(previous_hash);
  hasher.update("\n");
  bytes([&hasher](std::string_view piece) { hasher.update(piece); });
  return hasher.hex_digest();
}

}  // namespace

const std::string& genesis_hash() {
  static const std::string zeros(64, '0');
  return zeros;
}

std::string canonical_record(const DecisionRow& row) {
  std::string out;
  out.reserve(row.answers.size() + row.decision.size() + 256);
  canonical_fields(row, [&out](const std::string& value) {
    length_prefixed(value, [&out](std::string_view piece) { out.append(piece); });
  });
  return out;
}

std::string chain_hash(const std::string& previous_hash, const DecisionRow& row) {
  // The bytes of canonical_record(row), streamed: the writer hashes every record, and its answers
  // and decision need not be copied into one string first.
  return linked_hash(previous_hash, [&row](auto emit) {
    canonical_fields(row, [&emit](const std::string& value) { length_prefixed(value, emit); });
  });
}

ChainBreak check_chain_link(const std::string& previous, const DecisionRow& row) {
  if (row.prev_hash != previous) return ChainBreak::link;
  if (chain_hash(previous, row) != row.record_hash) return ChainBreak::content;
  return ChainBreak::none;
}

std::string feedback_chain_hash(const std::string& previous_hash, const FeedbackRow& row) {
  return linked_hash(previous_hash, [&row](auto emit) {
    emit(std::string_view("feedback\n"));
    for (const std::string* field : {&row.decision_id, &row.received_at, &row.service, &row.client, &row.outcome,
                                     &row.override_reason, &row.override_comment, &row.accepted_suggestions,
                                     &row.outcome_at}) {
      length_prefixed(*field, emit);
    }
  });
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
