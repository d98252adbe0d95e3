// Fuzz target: what the auditor tools decode from a stored record: the outcome label of the
// decision JSON, the answers JSON, and the chain hash over the record's fields (the input split
// at newlines into decision_id, client, request_id, ruleset_hash, answers, decision, decided_at).
#include <cstdint>
#include <string>

#include "api/decision_record.hpp"
#include "audit/record.hpp"
#include "intake/intake.hpp"
#include "util/json_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  (void)triage::outcome_label(text);
  triage::JsonValue value;
  std::string error;
  (void)triage::read_json(text, value, error);
  std::vector<triage::RawAnswer> raw;
  (void)triage::parse_intake_json("{\"answers\":" + text + "}", raw, error);
  triage::DecisionRow row;
  std::string* fields[] = {&row.decision_id, &row.client, &row.request_id, &row.ruleset_hash,
                           &row.answers,     &row.decision, &row.decided_at};
  std::size_t start = 0;
  for (std::string* field : fields) {
    std::size_t end = text.find('\n', start);
    *field = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  std::string hash = triage::chain_hash(triage::genesis_hash(), row);
  if (hash.size() != 64 || triage::chain_hash(triage::genesis_hash(), row) != hash) std::abort();
  return 0;
}
