#include "ruleset/analysis_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "diag/render.hpp"
#include "util/json_reader.hpp"
#include "util/json_writer.hpp"
#include "util/sha256.hpp"

namespace triage {
namespace {

constexpr const char* format_version = "triage-analysis-cache-2";
constexpr off_t max_entry_bytes = 64 << 20;

std::string checksum(std::string_view body) {
  Sha256 hasher;
  hasher.update(body);
  return hasher.hex_digest();
}

// Ours alone: owned by this user and writable by nobody else.
bool private_to_us(const struct stat& info) { return info.st_uid == geteuid() && (info.st_mode & 022) == 0; }

std::string encode(const std::string& ruleset_hash, const std::string& salt, const AnalysisReport& report) {
  return json_object([&](JsonWriter& w) {
    w.string_field("format", format_version);
    w.string_field("ruleset_hash", ruleset_hash);
    w.string_field("salt", salt);
    w.number_field("intakes_searched", report.intakes_searched);
    w.objects_field("findings", report.findings, [](JsonWriter& o, const Finding& f) {
      write_diagnostic(o, f.diagnostic);
      if (f.witness) o.string_field("witness", *f.witness);
      if (!f.witness_shows.empty()) o.string_field("shows", f.witness_shows);
    });
  });
}

bool decode(const JsonValue& root, AnalysisReport& report) {
  long long searched = 0;
  const JsonValue* findings = json_member(root, "findings", JsonValue::Kind::array);
  if (!findings || !json_whole(root, "intakes_searched", searched)) return false;
  report = AnalysisReport{};
  report.intakes_searched = searched;
  for (const auto& item : findings->array) {
    Finding f;
    if (!read_diagnostic(item, f.diagnostic)) return false;
    json_string(item, "shows", f.witness_shows);
    std::string witness;
    if (json_string(item, "witness", witness)) f.witness = witness;
    report.findings.push_back(std::move(f));
  }
  return true;
}

}  // namespace

AnalysisCache::AnalysisCache(std::string folder, std::string salt) : folder_(std::move(folder)), salt_(std::move(salt)) {}

std::string AnalysisCache::default_folder() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg && xdg[0] == '/') return std::string(xdg) + "/triage";
  const char* home = std::getenv("HOME");
  if (home && home[0] == '/') return std::string(home) + "/.cache/triage";
  return {};
}

std::string AnalysisCache::path_for(const std::string& ruleset_hash) const {
  // "sha256:<64 hex>" names the file; anything else is never cached.
  const std::string prefix = "sha256:";
  if (folder_.empty() || ruleset_hash.size() != prefix.size() + 64 || ruleset_hash.rfind(prefix, 0) != 0) return {};
  std::string hex = ruleset_hash.substr(prefix.size());
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return {};
  }
  return folder_ + "/" + hex + ".analysis";
}

bool AnalysisCache::load(const std::string& ruleset_hash, AnalysisReport& report) const {
  std::string path = path_for(ruleset_hash);
  struct stat folder_info {};
  if (path.empty() || lstat(folder_.c_str(), &folder_info) != 0 || !S_ISDIR(folder_info.st_mode) ||
      !private_to_us(folder_info)) {
    return false;
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat info {};
  std::string bytes;
  if (fstat(fd, &info) == 0 && S_ISREG(info.st_mode) && private_to_us(info) && info.st_size <= max_entry_bytes) {
    bytes.resize(static_cast<std::size_t>(info.st_size));
    std::size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    bytes.resize(done);
  }
  ::close(fd);
  // The body, a newline, and the SHA-256 of the body.
  auto newline = bytes.rfind('\n', bytes.size() >= 2 ? bytes.size() - 2 : 0);
  if (bytes.empty() || bytes.back() != '\n' || newline == std::string::npos) return false;
  std::string_view body(bytes.data(), newline);
  std::string_view sum(bytes.data() + newline + 1, bytes.size() - newline - 2);
  if (sum != checksum(body)) return false;
  JsonValue root;
  std::string error, format, hash, salt;
  if (!read_json(body, root, error) || !json_string(root, "format", format) || format != format_version ||
      !json_string(root, "ruleset_hash", hash) || hash != ruleset_hash || !json_string(root, "salt", salt) ||
      salt != salt_) {
    return false;
  }
  return decode(root, report);
}

void AnalysisCache::store(const std::string& ruleset_hash, const AnalysisReport& report) const {
  std::string path = path_for(ruleset_hash);
  if (path.empty()) return;
  // The parent may be shared (~/.cache); our own folder is owner-only.
  auto slash = folder_.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    std::string parent = folder_.substr(0, slash);
    for (std::size_t at = 1; at <= parent.size(); ++at) {
      if (at == parent.size() || parent[at] == '/') ::mkdir(parent.substr(0, at).c_str(), 0700);
    }
  }
  if (::mkdir(folder_.c_str(), 0700) != 0 && errno != EEXIST) return;
  std::string body = encode(ruleset_hash, salt_, report);
  std::string entry = body + "\n" + checksum(body) + "\n";
  // A private temporary file renamed over the entry: readers see the old entry or the new one.
  std::string temporary = folder_ + "/.tmp-XXXXXX";
  int fd = ::mkstemp(temporary.data());
  if (fd < 0) return;
  std::size_t done = 0;
  while (done < entry.size()) {
    ssize_t n = ::write(fd, entry.data() + done, entry.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  bool ok = done == entry.size();
  ok = ::close(fd) == 0 && ok;
  if (!ok || std::rename(temporary.c_str(), path.c_str()) != 0) ::unlink(temporary.c_str());
}

}  // namespace triage
