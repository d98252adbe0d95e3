#pragma once
// Thin RAII wrappers over SQLite: a connection, prepared statements with bound parameters (never
// SQL built from strings), and a transaction that rolls back unless committed. Errors are thrown
// as SqliteError; callers at the edge turn them into statuses. A Database and its Statements belong
// to one thread at a time.
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace triage::sql {

class SqliteError : public std::runtime_error {
 public:
  SqliteError(const std::string& message, int code) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

class Database {
 public:
  // read_only_uri: `path` is an SQLite URI (file:…?immutable=1), opened read-only.
  enum class Mode { read_write, create, read_only, read_only_uri };
  // Opens the database file. Throws SqliteError.
  Database(const std::string& path, bool create);
  Database(const std::string& path, Mode mode);
  sqlite3* handle() const { return db_.get(); }
  // Runs SQL without results (schema, pragmas).
  void exec(const std::string& sql);

 private:
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  std::unique_ptr<sqlite3, Closer> db_;
};

class Statement {
 public:
  Statement(Database& db, std::string_view sql);
  Statement& bind(int index, std::string_view text);
  // Binds `text` without copying it: it must stay unchanged and alive until the statement is
  // reset (run() resets it) or bound again. For the writer's hot insert.
  Statement& bind_static(int index, std::string_view text);
  Statement& bind(int index, std::int64_t value);
  // Steps once; true when a row is available.
  bool step();
  // Runs to completion (for statements without results) and resets.
  void run();
  void reset();
  std::string text(int column) const;
  std::int64_t integer(int column) const;
  bool is_null(int column) const;

 private:
  struct Finalizer {
    void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
  };
  Database& db_;
  std::unique_ptr<sqlite3_stmt, Finalizer> statement_;
};

// BEGIN IMMEDIATE on construction; ROLLBACK in the destructor unless commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace triage::sql
