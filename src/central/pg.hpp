#pragma once
// Thin RAII wrappers over libpq: a connection, queries with bound text parameters (never SQL built
// from values), and a transaction that rolls back unless committed. Errors are thrown as PgError;
// callers at the edge turn them into reports. A Connection belongs to one thread at a time.
#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace triage::pg {

class PgError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One result set; cells are text (NULL reads as empty).
class Result {
 public:
  explicit Result(PGresult* result) : result_(result) {}
  int rows() const { return PQntuples(result_.get()); }
  std::string text(int row, int column) const;
  std::int64_t integer(int row, int column) const;
  bool is_null(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
  // The count of rows an INSERT/UPDATE/DELETE touched.
  std::int64_t affected() const;

 private:
  struct Clear {
    void operator()(PGresult* result) const { PQclear(result); }
  };
  std::unique_ptr<PGresult, Clear> result_;
};

class Connection {
 public:
  // Connects to a libpq URL or key=value string. Throws PgError (without the password).
  explicit Connection(const std::string& url);
  // Runs SQL with parameters ($1, $2, ...; std::nullopt is NULL). Throws PgError.
  Result exec(const std::string& sql, const std::vector<std::optional<std::string>>& params = {});
  bool ok() const { return PQstatus(conn_.get()) == CONNECTION_OK; }

 private:
  struct Finish {
    void operator()(PGconn* conn) const { PQfinish(conn); }
  };
  std::unique_ptr<PGconn, Finish> conn_;
};

// BEGIN on construction; ROLLBACK in the destructor unless commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Connection& connection);
  ~Transaction();
  void commit();

 private:
  Connection& connection_;
  bool done_ = false;
};

// A PostgreSQL array literal of text values ({"a","b\"c"}), for one parameter of `unnest`.
std::string text_array(const std::vector<std::string>& values);

// A URL with its password replaced by `***`, for logs and messages.
std::string redact(const std::string& url);

}  // namespace triage::pg
