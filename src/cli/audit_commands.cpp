// `triage audit verify|replay|export`: the auditor's tools.
#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/util/time_util.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <iostream>
#include <sstream>

#include "audit/sqlite.hpp"
#include "auditor/checkpoints.hpp"
#include "auditor/export.hpp"
#include "auditor/feedback_summary.hpp"
#include "auditor/replay.hpp"
#include "auditor/signatures.hpp"
#include "auditor/verify.hpp"
#include "central/pg.hpp"
#include "central/ship.hpp"
#include "central/verify.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "report/figures.hpp"
#include "report/render.hpp"
#include "ruleset/open.hpp"
#include "util/json_text.hpp"
#include "util/json_writer.hpp"
#include "util/utc_time.hpp"

namespace triage::cli {
namespace {

const char* audit_usage =
    "usage: triage audit verify --db PATH [--expect-head HASH] [--trusted-keys DIR] [--format text|json]\n"
    "       triage audit replay --db PATH [--rules DIR] [--format text|json] [--since T] [--until T] [--limit N]\n"
    "       triage audit export --db PATH --format jsonl|csv [--since T] [--until T] [--limit N]\n"
    "       triage audit ship --db PATH --to URL [--replica ID] [--batch N]\n"
    "       triage audit verify|replay|export --pg URL [--replica ID] ... (the central store, per replica)\n"
    "       triage audit feedback --db PATH [--decision ID] [--format text|json]\n"
    "       triage audit report --log PATH [--log PATH ...] | --pg URL [--from DATE] [--to DATE] [--replica ID]\n"
    "                           --html OUT.html --json OUT.json [--candidate DIR] [--trusted-keys DIR] [--per day|hour] [--show-small-counts]\n"
    "T is a UTC time like 2026-11-21T00:00:00Z (since is inclusive, until exclusive).\n";

const CommandSpec audit_specs[] = {
    {"audit verify",
     "usage: triage audit verify --db PATH [--expect-head HASH] [--trusted-keys DIR] [--format text|json]\n"
     "  checks the file, every stored ruleset and the hash chain, and the stored ruleset signatures;\n"
     "  with --trusted-keys (a folder of Ed25519 public keys, *.pem) also those signatures and every\n"
     "  signed checkpoint, so a rewritten or truncated history is caught\n",
     {},
     {"--db", "--expect-head", "--trusted-keys", "--format", "--pg", "--replica"}},
    {"audit replay",
     "usage: triage audit replay --db PATH [--rules DIR] [--format text|json] [--since T] [--until T] [--limit N]\n"
     "  re-decides logged decisions with their own rules, or with candidate rules (--rules)\n",
     {},
     {"--db", "--rules", "--format", "--since", "--until", "--limit", "--pg", "--replica"}},
    {"audit export",
     "usage: triage audit export --db PATH --format jsonl|csv [--since T] [--until T] [--limit N]\n",
     {},
     {"--db", "--format", "--since", "--until", "--limit", "--pg", "--replica"}},
    {"audit ship",
     "usage: triage audit ship --db PATH --to URL [--replica ID] [--batch N] [--format text|json]\n"
     "  ships the log to the central PostgreSQL store (resumable, idempotent)\n",
     {},
     {"--db", "--to", "--replica", "--batch", "--format"}},
    {"audit feedback",
     "usage: triage audit feedback --db PATH [--decision ID] [--format text|json]\n"
     "  clinicians' CDS Hooks feedback (accepted / overridden, with reasons) against decisions, then\n"
     "  per rule and red flag that fired in those decisions: how often accepted and overridden, and why\n"
     "  (json: one line per entry, then one {\"summary\": …} line)\n",
     {},
     {"--db", "--decision", "--format"}},
    {"audit report",
     "usage: triage audit report --log PATH [--log PATH ...] | --pg URL [--from DATE] [--to DATE] [--replica ID]\n"
     "                           --html OUT.html --json OUT.json [--candidate DIR] [--trusted-keys DIR] [--per day|hour] [--show-small-counts]\n"
     "  a post-deployment monitoring report: integrity, decisions per day by outcome and tier, red flags,\n"
     "  self-care techniques, clinician feedback, anomalies and (--candidate) a candidate ruleset's impact,\n"
     "  as one self-contained HTML page (inline SVG) and the same figures as JSON. DATE is 2026-11-21 (the\n"
     "  whole day, --to inclusive) or a UTC time (--to exclusive). Counts under 5 are suppressed unless\n"
     "  --show-small-counts (internal audit only); --per hour counts per hour instead of per day. Exit\n"
     "  status 1 when a log fails verification (the report\n"
     "  is still written and says so). See docs/safety-report.md\n",
     {"--show-small-counts"},
     {"--log", "--db", "--pg", "--from", "--to", "--replica", "--html", "--json", "--candidate", "--trusted-keys", "--per"}},
};

// The filter from --since, --until and --limit; false with `error` when one is malformed.
bool filter_from(const Options& options, DecisionFilter& filter, std::string& error) {
  filter.since = options.get("--since", "");
  filter.until = options.get("--until", "");
  for (std::string* time : {&filter.since, &filter.until}) {
    google::protobuf::Timestamp parsed;
    if (!time->empty() && !google::protobuf::util::TimeUtil::FromString(*time, &parsed)) {
      error = "`" + *time + "` is not a UTC time like 2026-11-21T00:00:00Z";
      return false;
    }
    // Stored times have six decimals; compare like with like.
    if (!time->empty()) *time = utc_time(google::protobuf::util::TimeUtil::TimestampToMicroseconds(parsed));
  }
  std::string limit = options.get("--limit", "0");
  char* end = nullptr;
  long long value = std::strtoll(limit.c_str(), &end, 10);
  if (limit.empty() || *end != '\0' || value < 0) {
    error = "--limit takes a whole number (0 for no limit)";
    return false;
  }
  filter.limit = value;
  return true;
}

std::function<void(std::int64_t, std::int64_t)> progress_to(std::ostream& err, const char* what) {
  return [&err, what](std::int64_t done, std::int64_t total) {
    err << "triage audit: " << what << " " << done << " of " << total << "\n";
  };
}

}  // namespace

namespace {
int run_audit_command(const std::vector<std::string>& args, Io io);
int run_ship(const Options& options, Io io);
int run_central(const std::string& command, const Options& options, Io io);
int run_report(const Options& options, Io io);
}

int run_audit(const std::vector<std::string>& args, Io io) {
  // A damaged or foreign file is an error with its reason, not an abort.
  try {
    return run_audit_command(args, io);
  } catch (const sql::SqliteError& failure) {
    io.err << "triage audit: cannot read the audit log: " << failure.what() << "\n";
    return exit_failure;
  }
}

namespace {

int run_audit_command(const std::vector<std::string>& args, Io io) {
  if (args.empty()) {
    io.err << audit_usage;
    return exit_failure;
  }
  std::string command = args[0];
  if (command == "--help" || command == "-h") {
    io.out << audit_usage;
    return exit_ok;
  }
  const CommandSpec* spec = nullptr;
  for (const auto& candidate : audit_specs) {
    if (candidate.name == "audit " + command) spec = &candidate;
  }
  if (!spec) {
    io.err << "triage audit: unknown command `" << command << "`\n" << audit_usage;
    return exit_failure;
  }
  std::vector<std::string> rest(args.begin() + 1, args.end());
  Options options;
  int code = exit_ok;
  if (!parse_command_line(rest, *spec, options, io, code)) return code;
  if (command == "ship") return run_ship(options, io);
  if (command == "report") return run_report(options, io);
  if (options.has("--pg")) return run_central(command, options, io);
  if (!options.has("--db")) {
    io.err << "triage audit: --db PATH is required\n" << spec->usage;
    return exit_failure;
  }
  std::string error;
  auto reader = AuditReader::open(options.get("--db", ""), error);
  if (!reader) {
    io.err << "triage audit: " << error << "\n";
    return exit_failure;
  }
  std::string format = options.get("--format", command == "export" ? "" : "text");

  if (command == "verify") {
    VerifyReport report = verify_audit_log(*reader, options.get("--expect-head", ""), progress_to(io.err, "verified"));
    // The stored ruleset signatures (checked against --trusted-keys when given).
    SignatureReport signatures;
    if (!verify_stored_signatures(*reader, options.get("--trusted-keys", ""), signatures, error)) {
      signatures.ok = false;
      signatures.problems.push_back(error);
    }
    if (!signatures.ok) {
      report.ok = false;
      if (report.problem.empty()) report.problem = "ruleset signature: " + signatures.problems.front();
    }
    if (format != "json") {
      io.err << "triage audit: " << signatures.rulesets << " rulesets, " << signatures.signed_ << " signed, "
             << signatures.verified << " signatures verified against trusted keys\n";
      for (const auto& problem : signatures.problems) io.err << "triage audit: BAD SIGNATURE: " << problem << "\n";
    }
    // Signed checkpoints, once the chain between records holds.
    const bool signed_check = options.has("--trusted-keys");
    CheckpointReport checkpoints;
    if (signed_check && report.ok) {
      checkpoints = verify_checkpoints(*reader, options.get("--trusted-keys", ""));
      if (!checkpoints.ok) {
        report.ok = false;
        report.problem = checkpoints.problem;
      }
    }
    if (format == "json") {
      io.out << json_object([&](JsonWriter& w) {
        w.bool_field("ok", report.ok);
        w.number_field("verified", report.verified);
        w.string_field("head_hash", report.head_hash);
        w.number_field("broken_seq", report.broken_seq);
        w.string_field("problem", report.problem);
        if (signed_check) {
          w.number_field("checkpoints", checkpoints.checked);
          w.number_field("signed_through_seq", checkpoints.covered_seq);
          w.number_field("unsigned_tail", checkpoints.unsigned_tail);
          w.string_field("signers", checkpoints.signers);
        }
      }) << "\n";
    } else if (report.ok) {
      io.out << "verified " << report.verified << " decisions; chain head " << report.head_hash << "\n";
      if (report.feedback_verified > 0) {
        io.out << "verified " << report.feedback_verified << " feedback entries (their own hash chain)\n";
      }
      if (signed_check) {
        io.out << "verified " << checkpoints.checked << " signed checkpoints (" << checkpoints.signers << "): ";
        if (checkpoints.covered_seq > 0) io.out << "records 1.." << checkpoints.covered_seq << " are as signed";
        else io.out << "no record was signed yet";
        if (checkpoints.unsigned_tail > 0) io.out << "; the last " << checkpoints.unsigned_tail << " not yet signed";
        io.out << "\n";
      }
    } else {
      io.out << "FAILED after " << report.verified << " good decisions: " << report.problem << "\n";
    }
    return report.ok ? exit_ok : exit_failure;
  }
  if (command == "replay") {
    std::shared_ptr<const CompiledRuleset> candidate;
    if (options.has("--rules")) {
      OpenedRuleset opened;
      if (!open_servable("audit replay", options.get("--rules", ""), opened, io)) return exit_failure;
      candidate = opened.ruleset;
    }
    DecisionFilter filter;
    if (!filter_from(options, filter, error)) {
      io.err << "triage audit replay: " << error << "\n";
      return exit_failure;
    }
    ReplayReport report = replay_audit_log(*reader, filter, candidate, progress_to(io.err, "replayed"));
    io.out << (format == "json" ? replay_json(report, candidate != nullptr) + "\n"
                                : replay_text(report, candidate != nullptr));
    // Determinism replay fails on any difference; impact analysis reports and succeeds unless a
    // decision could not be re-made.
    if (!candidate) return report.changed == 0 && report.failed == 0 ? exit_ok : exit_failure;
    return report.failed == 0 ? exit_ok : exit_failure;
  }
  if (command == "export") {
    if (format != "jsonl" && format != "csv") {
      io.err << "triage audit export: --format jsonl or --format csv is required\n";
      return exit_failure;
    }
    DecisionFilter filter;
    if (!filter_from(options, filter, error)) {
      io.err << "triage audit export: " << error << "\n";
      return exit_failure;
    }
    std::string bad_row;
    export_audit_log(*reader, filter, format == "csv" ? ExportFormat::csv : ExportFormat::jsonl, io.out, bad_row);
    if (!bad_row.empty()) {
      io.err << "triage audit export: " << bad_row << " (run `triage audit verify`)\n";
      return exit_failure;
    }
    return exit_ok;
  }
  if (command == "feedback") {
    // Clinicians' CDS Hooks feedback (accepted / overridden, with reasons) against decisions.
    for (const auto& row : reader->feedback(options.get("--decision", ""))) {
      if (format == "json") {
        io.out << "{\"decision_id\":" << json_quote(row.decision_id) << ",\"received_at\":" << json_quote(row.received_at)
               << ",\"service\":" << json_quote(row.service) << ",\"client\":" << json_quote(row.client)
               << ",\"outcome\":" << json_quote(row.outcome) << ",\"override_reason\":" << json_quote(row.override_reason)
               << ",\"override_comment\":" << json_quote(row.override_comment)
               << ",\"accepted_suggestions\":" << json_quote(row.accepted_suggestions)
               << ",\"outcome_at\":" << json_quote(row.outcome_at) << "}\n";
      } else {
        io.out << row.received_at << " decision=" << row.decision_id << " outcome=" << row.outcome;
        if (!row.override_reason.empty()) io.out << " reason=" << json_quote(row.override_reason);
        if (!row.override_comment.empty()) io.out << " comment=" << json_quote(row.override_comment);
        if (!row.accepted_suggestions.empty()) io.out << " suggestions=" << row.accepted_suggestions;
        io.out << " service=" << row.service << " client=" << json_quote(row.client) << "\n";
      }
    }
    // Then, per rule and red flag that fired in those decisions, how often its advice was
    // accepted or overridden, and why (governance evidence).
    FeedbackSummary summary = summarize_feedback(*reader, options.get("--decision", ""));
    io.out << (format == "json" ? feedback_summary_json(summary) + "\n" : feedback_summary_text(summary));
    return exit_ok;
  }
  io.err << "triage audit: unknown command `" << command << "`\n" << audit_usage;
  return exit_failure;
}

// `triage audit ship`: one-shot shipping (backfill), resumable and idempotent.
int run_ship(const Options& options, Io io) {
  if (!options.has("--db") || !options.has("--to")) {
    io.err << "triage audit ship: --db PATH and --to URL are required\n" << audit_usage;
    return exit_failure;
  }
  central::ShipOptions ship;
  std::string error;
  ship.replica_id = options.get("--replica", "");
  if (ship.replica_id.empty()) ship.replica_id = central::replica_id_of(options.get("--db", ""), error);
  if (!error.empty()) {
    io.err << "triage audit ship: " << error << "\n";
    return exit_failure;
  }
  if (ship.replica_id.empty()) {
    io.err << "triage audit ship: the log's records carry no replica id; name it with --replica\n";
    return exit_failure;
  }
  std::string batch = options.get("--batch", "1000");
  ship.batch_size = std::strtoll(batch.c_str(), nullptr, 10);
  if (ship.batch_size <= 0 || ship.batch_size > 100000) {
    io.err << "triage audit ship: --batch takes a whole number from 1 to 100000\n";
    return exit_failure;
  }
  auto started = std::chrono::steady_clock::now();
  central::ShipReport report = central::ship_audit_log(options.get("--db", ""), options.get("--to", ""), ship);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (options.get("--format", "text") == "json") {
    io.out << "{\"ok\":" << (report.ok ? "true" : "false") << ",\"replica_id\":" << json_quote(ship.replica_id)
           << ",\"shipped\":" << report.shipped << ",\"batches\":" << report.batches
           << ",\"rulesets\":" << report.rulesets << ",\"central_seq\":" << report.central_seq
           << ",\"feedback_shipped\":" << report.feedback_shipped
           << ",\"feedback_central_seq\":" << report.feedback_central_seq << ",\"seconds\":" << seconds << ",\"problem\":" << json_quote(report.problem) << "}\n";
  } else if (report.ok) {
    io.out << "shipped " << report.shipped << " decisions of replica " << ship.replica_id << " in " << report.batches
           << " batches (" << report.rulesets << " rulesets) in " << seconds << " s; central head is record "
           << report.central_seq << "; " << report.feedback_shipped << " feedback entries shipped, central head is "
           << "entry " << report.feedback_central_seq << "\n";
  } else {
    io.out << "FAILED after shipping " << report.shipped << " decisions and " << report.feedback_shipped
           << " feedback entries of replica " << ship.replica_id << ": " << report.problem << "\n";
  }
  return report.ok ? exit_ok : exit_failure;
}

// The auditor tools against the central store: verify there; replay and export per replica on a
// private SQLite copy of its records (the same code as for a local log).
int run_central(const std::string& command, const Options& options, Io io) {
  std::string url = options.get("--pg", "");
  std::string replica = options.get("--replica", "");
  std::string format = options.get("--format", command == "export" ? "" : "text");
  if (command == "verify") {
    central::CentralVerifyReport report = central::verify_central(url, replica, true);
    if (format == "json") {
      io.out << "{\"ok\":" << (report.ok ? "true" : "false") << ",\"problem\":" << json_quote(report.problem)
             << ",\"replicas\":[";
      for (std::size_t i = 0; i < report.replicas.size(); ++i) {
        const auto& r = report.replicas[i];
        io.out << (i ? "," : "") << "{\"replica_id\":" << json_quote(r.replica_id)
               << ",\"ok\":" << (r.ok ? "true" : "false") << ",\"verified\":" << r.verified
               << ",\"head_seq\":" << r.head_seq << ",\"head_hash\":" << json_quote(r.head_hash)
               << ",\"feedback_verified\":" << r.feedback_verified << ",\"feedback_head_seq\":" << r.feedback_head_seq
               << ",\"problem\":" << json_quote(r.problem) << "}";
      }
      io.out << "]}\n";
    } else {
      if (!report.problem.empty()) io.out << "FAILED: " << report.problem << "\n";
      for (const auto& r : report.replicas) {
        if (r.ok) {
          io.out << "replica " << r.replica_id << ": verified " << r.verified << " decisions; head record "
                 << r.head_seq << " " << r.head_hash;
          if (r.feedback_verified > 0) io.out << "; " << r.feedback_verified << " feedback entries";
          io.out << "\n";
        } else {
          io.out << "replica " << r.replica_id << ": FAILED after " << r.verified << " good decisions: " << r.problem
                 << "\n";
        }
      }
    }
    return report.ok ? exit_ok : exit_failure;
  }
  if (command != "replay" && command != "export") {
    io.err << "triage audit: unknown command `" << command << "`\n" << audit_usage;
    return exit_failure;
  }
  if (command == "export" && format != "jsonl" && format != "csv") {
    io.err << "triage audit export: --format jsonl or --format csv is required\n";
    return exit_failure;
  }
  std::string error;
  DecisionFilter filter;
  if (!filter_from(options, filter, error)) {
    io.err << "triage audit " << command << ": " << error << "\n";
    return exit_failure;
  }
  std::shared_ptr<const CompiledRuleset> candidate;
  if (command == "replay" && options.has("--rules")) {
    OpenedRuleset opened;
    if (!open_servable("audit replay", options.get("--rules", ""), opened, io)) return exit_failure;
    candidate = opened.ruleset;
  }
  std::vector<std::string> replicas{replica};
  if (replica.empty()) replicas = central::central_replicas(url, error);
  if (!error.empty()) {
    io.err << "triage audit " << command << ": " << error << "\n";
    return exit_failure;
  }
  char folder[] = "/tmp/triage-central-XXXXXX";
  if (mkdtemp(folder) == nullptr) {
    io.err << "triage audit " << command << ": cannot make a temporary folder\n";
    return exit_failure;
  }
  int code = exit_ok;
  bool header = true;
  for (const auto& name : replicas) {
    std::string path = std::string(folder) + "/replica.db";
    auto cleanup = [&] {
      for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
    };
    cleanup();
    if (!central::materialize_replica(url, name, path, error)) {
      io.err << "triage audit " << command << ": replica " << name << ": " << error << "\n";
      cleanup();
      code = exit_failure;
      continue;
    }
    auto reader = AuditReader::open(path, error);
    if (!reader) {
      io.err << "triage audit " << command << ": " << error << "\n";
      cleanup();
      code = exit_failure;
      continue;
    }
    if (command == "export") {
      std::string bad_row;
      std::ostringstream part;
      export_audit_log(*reader, filter, format == "csv" ? ExportFormat::csv : ExportFormat::jsonl, part, bad_row);
      std::string text = part.str();
      // One CSV header for all replicas; each row already names its replica (replica_id column).
      if (format == "csv" && !header) text = text.substr(text.find('\n') + 1);
      header = false;
      io.out << text;
      if (!bad_row.empty()) {
        io.err << "triage audit export: replica " << name << ": " << bad_row << " (run `triage audit verify --pg`)\n";
        code = exit_failure;
      }
    } else {
      ReplayReport report = replay_audit_log(*reader, filter, candidate, progress_to(io.err, "replayed"));
      io.out << (format == "json" ? "{\"replica_id\":" + json_quote(name) + ",\"report\":" +
                                        replay_json(report, candidate != nullptr) + "}\n"
                                  : "replica " + name + ":\n" + replay_text(report, candidate != nullptr));
      bool good = candidate ? report.failed == 0 : report.changed == 0 && report.failed == 0;
      if (!good) code = exit_failure;
    }
    reader.reset();
    cleanup();
  }
  rmdir(folder);
  return code;
}

// A report bound: a date (the start of that day; with `end`, the start of the next, so --to is
// inclusive) or a UTC time (as --since and --until take it). False with `error`.
bool report_bound(const std::string& text, bool end, std::string& out, std::string& error) {
  out.clear();
  if (text.empty()) return true;
  int y = 0;
  unsigned m = 0, d = 0;
  char tail = 0;
  if (text.size() == 10 && std::sscanf(text.c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &tail) == 3) {
    std::chrono::year_month_day day{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
    if (!day.ok()) {
      error = "`" + text + "` is not a date like 2026-11-21";
      return false;
    }
    std::chrono::sys_days start{day};
    if (end) start += std::chrono::days{1};
    out = utc_time(std::chrono::duration_cast<std::chrono::microseconds>(start.time_since_epoch()).count());
    return true;
  }
  google::protobuf::Timestamp parsed;
  if (!google::protobuf::util::TimeUtil::FromString(text, &parsed)) {
    error = "`" + text + "` is neither a date like 2026-11-21 nor a UTC time like 2026-11-21T00:00:00Z";
    return false;
  }
  out = utc_time(google::protobuf::util::TimeUtil::TimestampToMicroseconds(parsed));
  return true;
}

bool write_text_file(const std::string& path, const std::string& text, std::string& error) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) error = "cannot write " + path;
  return static_cast<bool>(out);
}

// `triage audit report`: the figures over local logs (--log, repeatable) or the central store
// (--pg, one private SQLite copy per replica, as replay and export do there), then HTML and JSON.
int run_report(const Options& options, Io io) {
  const char* me = "triage audit report: ";
  std::vector<std::string> logs;
  for (const auto& [name, value] : options.ordered) {
    if (name == "--log" || name == "--db") logs.push_back(value);
  }
  const bool central_store = options.has("--pg");
  if (logs.empty() == !central_store) {
    io.err << me << "give --log PATH (one or more) or --pg URL\n";
    return exit_failure;
  }
  if (!options.has("--html") && !options.has("--json")) {
    io.err << me << "give --html OUT.html and/or --json OUT.json\n";
    return exit_failure;
  }
  report::ReportOptions report_options;
  std::string error;
  DecisionFilter filter;
  if (!report_bound(options.get("--from", ""), false, filter.since, error) ||
      !report_bound(options.get("--to", ""), true, filter.until, error)) {
    io.err << me << error << "\n";
    return exit_failure;
  }
  report_options.from = options.get("--from", "");
  report_options.to = options.get("--to", "");
  report_options.replica = options.get("--replica", "");
  report_options.show_small_counts = options.flag("--show-small-counts");
  const std::string per = options.get("--per", "day");
  if (per != "day" && per != "hour") {
    io.err << me << "--per takes day or hour\n";
    return exit_failure;
  }
  report_options.per_hour = per == "hour";
  const std::string keys = options.get("--trusted-keys", "");
  std::shared_ptr<const CompiledRuleset> candidate;
  if (options.has("--candidate")) {
    OpenedRuleset opened;
    if (!open_servable("audit report", options.get("--candidate", ""), opened, io)) return exit_failure;
    candidate = opened.ruleset;
  }

  report::ReportBuilder builder(report_options, filter, keys, candidate);
  int code = exit_ok;
  if (!central_store) {
    for (const auto& path : logs) {
      // Two readers (one per thread): the chain is verified while the figures are counted, each a
      // full pass over the log, so the report takes about as long as `audit verify` alone.
      auto reader = AuditReader::open(path, error);
      auto verifier = reader ? AuditReader::open(path, error) : nullptr;
      if (!reader || !verifier) {
        io.err << me << error << "\n";
        return exit_failure;
      }
      auto integrity = std::async(std::launch::async,
                                  [&verifier, &path, &keys] { return report::check_integrity(*verifier, path, keys); });
      builder.add_log(*reader, true, progress_to(io.err, "replayed"));
      builder.add_integrity(integrity.get());
    }
  } else {
    const std::string url = options.get("--pg", "");
    std::vector<std::string> replicas{report_options.replica};
    if (report_options.replica.empty()) replicas = central::central_replicas(url, error);
    if (!error.empty()) {
      io.err << me << error << "\n";
      return exit_failure;
    }
    central::CentralVerifyReport verdicts = central::verify_central(url, report_options.replica, false);
    if (!verdicts.problem.empty()) {
      io.err << me << verdicts.problem << "\n";
      return exit_failure;
    }
    for (const auto& verdict : verdicts.replicas) {
      report::SourceIntegrity source;
      source.source = "replica " + verdict.replica_id;
      source.chain_ok = verdict.ok;
      source.verified = verdict.verified;
      source.head_hash = verdict.head_hash;
      source.problem = verdict.problem;
      source.checkpoint_status = "not in the central store";
      builder.add_integrity(source);
    }
    char folder[] = "/tmp/triage-report-XXXXXX";
    if (mkdtemp(folder) == nullptr) {
      io.err << me << "cannot make a temporary folder\n";
      return exit_failure;
    }
    for (const auto& name : replicas) {
      std::string path = std::string(folder) + "/replica.db";
      auto cleanup = [&] {
        for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
      };
      cleanup();
      std::unique_ptr<AuditReader> reader;
      if (central::materialize_replica(url, name, path, error)) reader = AuditReader::open(path, error);
      if (!reader) {
        io.err << me << "replica " << name << ": " << error << "\n";
        code = exit_failure;
      } else {
        builder.add_log(*reader, true, progress_to(io.err, "replayed"));
      }
      reader.reset();
      cleanup();
    }
    rmdir(folder);
  }
  report::Figures figures = builder.finish(central_store ? "postgresql" : "sqlite");
  auto now = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch());
  if ((options.has("--json") && !write_text_file(options.get("--json", ""), report::render_json(figures), error)) ||
      (options.has("--html") &&
       !write_text_file(options.get("--html", ""), report::render_html(figures, utc_time(now.count()).substr(0, 19) + "Z"), error))) {
    io.err << me << error << "\n";
    return exit_failure;
  }
  bool intact = true;
  for (const auto& source : figures.integrity) {
    if (!source.problem.empty()) {
      io.err << me << "VERIFICATION FAILED: " << source.source << ": " << source.problem << "\n";
      intact = false;
    }
  }
  io.out << "report over " << figures.tally.decisions << " decisions; " << figures.anomalies.size() << " anomalies";
  if (options.has("--html")) io.out << "; html " << options.get("--html", "");
  if (options.has("--json")) io.out << "; json " << options.get("--json", "");
  io.out << "\n";
  return intact ? code : exit_failure;
}

}  // namespace

}  // namespace triage::cli
