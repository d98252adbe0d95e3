// `triage audit verify|replay|export`: the auditor's tools.
#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/util/time_util.h>

#include <iostream>

#include "audit/sqlite.hpp"
#include "auditor/export.hpp"
#include "auditor/replay.hpp"
#include "auditor/verify.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "ruleset/open.hpp"
#include "util/json_writer.hpp"
#include "util/utc_time.hpp"

namespace triage::cli {
namespace {

const char* audit_usage =
    "usage: triage audit verify --db PATH [--expect-head HASH] [--format text|json]\n"
    "       triage audit replay --db PATH [--rules DIR] [--format text|json] [--since T] [--until T] [--limit N]\n"
    "       triage audit export --db PATH --format jsonl|csv [--since T] [--until T] [--limit N]\n"
    "T is a UTC time like 2026-11-21T00:00:00Z (since is inclusive, until exclusive).\n";

const CommandSpec audit_specs[] = {
    {"audit verify",
     "usage: triage audit verify --db PATH [--expect-head HASH] [--format text|json]\n"
     "  checks the file, every stored ruleset and the hash chain\n",
     {},
     {"--db", "--expect-head", "--format"}},
    {"audit replay",
     "usage: triage audit replay --db PATH [--rules DIR] [--format text|json] [--since T] [--until T] [--limit N]\n"
     "  re-decides logged decisions with their own rules, or with candidate rules (--rules)\n",
     {},
     {"--db", "--rules", "--format", "--since", "--until", "--limit"}},
    {"audit export",
     "usage: triage audit export --db PATH --format jsonl|csv [--since T] [--until T] [--limit N]\n",
     {},
     {"--db", "--format", "--since", "--until", "--limit"}},
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
    if (format == "json") {
      io.out << json_object([&](JsonWriter& w) {
        w.bool_field("ok", report.ok);
        w.number_field("verified", report.verified);
        w.string_field("head_hash", report.head_hash);
        w.number_field("broken_seq", report.broken_seq);
        w.string_field("problem", report.problem);
      }) << "\n";
    } else if (report.ok) {
      io.out << "verified " << report.verified << " decisions; chain head " << report.head_hash << "\n";
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
  io.err << "triage audit: unknown command `" << command << "`\n" << audit_usage;
  return exit_failure;
}

}  // namespace

}  // namespace triage::cli
