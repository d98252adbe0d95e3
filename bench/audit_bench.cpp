// Audit log benchmarks: hashing one record, and durable group-commit throughput without gRPC.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <future>

#include "api/answers_proto.hpp"
#include "api/decision_record.hpp"
#include "api/decision_proto.hpp"
#include "audit/audit_log.hpp"
#include "audit/record.hpp"
#include "eval/evaluator.hpp"
#include "intake/intake.hpp"
#include "ruleset/loader.hpp"
#include "util/files.hpp"

namespace {

// A realistic record: the self-care example decided by the shipped rules.
triage::AuditRecord sample_record() {
  static auto ruleset = triage::load_ruleset("rules").ruleset;
  std::string json;
  triage::read_text_file("rules/examples/self_care_lower_back.json", json);
  std::vector<triage::RawAnswer> raw;
  std::string error;
  triage::parse_intake_json(json, raw, error);
  triage::AuditRecord record;
  record.decision_id = triage::new_decision_id();
  record.decided_at_micros = triage::now_micros();
  record.client = "id:kiosk-7";
  record.ruleset_hash = ruleset->model->hash;
  auto evaluation = triage::evaluate(*ruleset, triage::validate_answers(*ruleset, raw).answers);
  record.decision = triage::decision_record_json(*ruleset, evaluation);
  record.answers = triage::canonical_answers_json(raw);
  return record;
}

void BM_AuditRecordHash(benchmark::State& state) {
  triage::AuditRecord record = sample_record();
  triage::DecisionRow row;
  row.decision_id = record.decision_id;
  row.decided_at = triage::utc_time(record.decided_at_micros);
  row.client = record.client;
  row.ruleset_hash = record.ruleset_hash;
  row.answers = record.answers;
  row.decision = record.decision;
  std::string previous(64, '0');
  for (auto _ : state) benchmark::DoNotOptimize(triage::chain_hash(previous, row));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(triage::canonical_record(row).size()));
}

// Appends `batch` records as fast as possible and waits until all are durable (synchronous=FULL).
void BM_AuditLogThroughput(benchmark::State& state) {
  auto folder = std::filesystem::temp_directory_path() / ("triage-bench-" + triage::new_decision_id());
  std::filesystem::create_directories(folder);
  std::string error;
  auto log = triage::AuditLog::open((folder / "audit.db").string(), error);
  if (!log) {
    state.SkipWithError(error.c_str());
    return;
  }
  triage::AuditRecord record = sample_record();
  const int batch = static_cast<int>(state.range(0));
  for (auto _ : state) {
    std::promise<void> all_done;
    std::atomic<int> remaining{batch};
    for (int i = 0; i < batch; ++i) {
      triage::AuditRecord copy = record;
      copy.decision_id = triage::new_decision_id();
      log->append(std::move(copy), [&](bool, const std::string&) {
        if (--remaining == 0) all_done.set_value();
      });
    }
    all_done.get_future().wait();
  }
  state.SetItemsProcessed(state.iterations() * batch);
  log->close();
  std::filesystem::remove_all(folder);
}

}  // namespace

BENCHMARK(BM_AuditRecordHash);
BENCHMARK(BM_AuditLogThroughput)->Arg(20000)->Unit(benchmark::kMillisecond)->UseRealTime();
