#include "central/pg.hpp"

#include <cstdlib>

namespace triage::pg {

std::string Result::text(int row, int column) const {
  if (PQgetisnull(result_.get(), row, column)) return {};
  return std::string(PQgetvalue(result_.get(), row, column),
                     static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
}

std::int64_t Result::integer(int row, int column) const {
  return std::strtoll(PQgetvalue(result_.get(), row, column), nullptr, 10);
}

std::int64_t Result::affected() const {
  const char* count = PQcmdTuples(result_.get());
  return count && *count ? std::strtoll(count, nullptr, 10) : 0;
}

Connection::Connection(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
  if (!conn_) throw PgError("cannot connect to " + redact(url) + ": out of memory");
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn_.get());
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    throw PgError("cannot connect to " + redact(url) + ": " + message);
  }
  // Notices (like "relation already exists, skipping") are not for our callers' output.
  PQsetNoticeProcessor(conn_.get(), [](void*, const char*) {}, nullptr);
}

Result Connection::exec(const std::string& sql, const std::vector<std::optional<std::string>>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& param : params) values.push_back(param ? param->c_str() : nullptr);
  PGresult* raw = params.empty() ? PQexec(conn_.get(), sql.c_str())
                                 : PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(params.size()), nullptr,
                                                values.data(), nullptr, nullptr, 0);
  Result result(raw);
  ExecStatusType status = PQresultStatus(raw);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    std::string message = raw ? PQresultErrorMessage(raw) : PQerrorMessage(conn_.get());
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    throw PgError(message.empty() ? "the PostgreSQL connection failed" : message);
  }
  return result;
}

Transaction::Transaction(Connection& connection) : connection_(connection) { connection_.exec("BEGIN"); }

Transaction::~Transaction() {
  if (done_) return;
  try {
    connection_.exec("ROLLBACK");
  } catch (const PgError&) {
    // The connection is gone: the server rolls back on its own.
  }
}

void Transaction::commit() {
  connection_.exec("COMMIT");
  done_ = true;
}

std::string text_array(const std::vector<std::string>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string redact(const std::string& url) {
  // postgresql://user:password@host/... -> postgresql://user:***@host/...
  auto scheme = url.find("://");
  if (scheme != std::string::npos) {
    auto at = url.find('@', scheme + 3);
    auto colon = url.find(':', scheme + 3);
    if (at != std::string::npos && colon != std::string::npos && colon < at) {
      return url.substr(0, colon + 1) + "***" + url.substr(at);
    }
  }
  auto password = url.find("password=");
  if (password != std::string::npos) {
    auto end = url.find(' ', password);
    return url.substr(0, password + 9) + "***" + (end == std::string::npos ? "" : url.substr(end));
  }
  return url;
}

}  // namespace triage::pg
