#include "audit/record.hpp"

#include <cstdio>
#include <ctime>

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

std::string utc_time(std::int64_t micros) {
  std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char date[40];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[64];
  std::snprintf(out, sizeof out, "%s.%06lldZ", date, static_cast<long long>(micros % 1000000));
  return out;
}

std::string canonical_record(const DecisionRow& row) {
  std::string out;
  out.reserve(row.answers.size() + row.decision.size() + 256);
  for (const std::string* field : {&row.decision_id, &row.client, &row.request_id, &row.ruleset_hash, &row.answers,
                                   &row.decision, &row.decided_at}) {
    append_field(out, *field);
  }
  return out;
}

std::string chain_hash(const std::string& previous_hash, const DecisionRow& row) {
  Sha256 hasher;
  hasher.update(previous_hash);
  hasher.update("\n");
  hasher.update(canonical_record(row));
  return hasher.hex_digest();
}

}  // namespace triage
