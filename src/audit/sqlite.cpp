#include "audit/sqlite.hpp"

namespace triage::sql {
namespace {

[[noreturn]] void fail(sqlite3* db, int code, const std::string& what) {
  std::string message = what + ": " + (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code));
  throw SqliteError(message, code);
}

}  // namespace

Database::Database(const std::string& path, bool create) : Database(path, create ? Mode::create : Mode::read_write) {}

Database::Database(const std::string& path, Mode mode) {
  sqlite3* raw = nullptr;
  bool read_only = mode == Mode::read_only || mode == Mode::read_only_uri;
  int flags = SQLITE_OPEN_NOMUTEX | (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
              (mode == Mode::create ? SQLITE_OPEN_CREATE : 0) | (mode == Mode::read_only_uri ? SQLITE_OPEN_URI : 0);
  int code = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  db_.reset(raw);
  if (code != SQLITE_OK) fail(raw, code, "cannot open " + path);
  sqlite3_busy_timeout(raw, 5000);
  sqlite3_extended_result_codes(raw, 1);
}

void Database::exec(const std::string& sql) {
  char* error = nullptr;
  int code = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &error);
  if (code != SQLITE_OK) {
    std::string message = error != nullptr ? error : sqlite3_errstr(code);
    sqlite3_free(error);
    throw SqliteError(message, code);
  }
}

Statement::Statement(Database& db, std::string_view sql) : db_(db) {
  sqlite3_stmt* raw = nullptr;
  int code = sqlite3_prepare_v2(db.handle(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
  statement_.reset(raw);
  if (code != SQLITE_OK) fail(db.handle(), code, "cannot prepare statement");
}

Statement& Statement::bind(int index, std::string_view text) {
  int code = sqlite3_bind_text(statement_.get(), index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  if (code != SQLITE_OK) fail(db_.handle(), code, "cannot bind");
  return *this;
}

Statement& Statement::bind_static(int index, std::string_view text) {
  int code = sqlite3_bind_text(statement_.get(), index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
  if (code != SQLITE_OK) fail(db_.handle(), code, "cannot bind");
  return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
  int code = sqlite3_bind_int64(statement_.get(), index, value);
  if (code != SQLITE_OK) fail(db_.handle(), code, "cannot bind");
  return *this;
}

bool Statement::step() {
  int code = sqlite3_step(statement_.get());
  if (code == SQLITE_ROW) return true;
  if (code == SQLITE_DONE) return false;
  fail(db_.handle(), code, "statement failed");
}

void Statement::run() {
  try {
    while (step()) {
    }
  } catch (...) {
    reset();
    throw;
  }
  reset();
}

void Statement::reset() {
  sqlite3_reset(statement_.get());
  sqlite3_clear_bindings(statement_.get());
}

std::string Statement::text(int column) const {
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(statement_.get(), column));
  return data != nullptr ? std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(statement_.get(), column)))
                         : std::string{};
}

std::int64_t Statement::integer(int column) const { return sqlite3_column_int64(statement_.get(), column); }

bool Statement::is_null(int column) const { return sqlite3_column_type(statement_.get(), column) == SQLITE_NULL; }

Transaction::Transaction(Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (!done_) {
    try {
      db_.exec("ROLLBACK");
    } catch (...) {
      // Nothing more to do: the connection rolls back on close anyway.
    }
  }
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace triage::sql
