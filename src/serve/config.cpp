#include "serve/config.hpp"

#include <cstdlib>
#include <fstream>
#include <map>

namespace triage {
namespace {

std::string trim(const std::string& text) {
  auto begin = text.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return {};
  auto end = text.find_last_not_of(" \t\r");
  return text.substr(begin, end - begin + 1);
}

std::string env_name(std::string key) {
  for (char& c : key) c = c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return "TRIAGE_" + key;
}

bool apply(ServeConfig& config, const std::string& key, const std::string& value, std::string& error) {
  auto number = [&](auto& out, long long low, long long high) {
    char* end = nullptr;
    long long parsed = std::strtoll(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || parsed < low || parsed > high) {
      error = key + " must be a whole number from " + std::to_string(low) + " to " + std::to_string(high);
      return false;
    }
    out = static_cast<std::remove_reference_t<decltype(out)>>(parsed);
    return true;
  };
  if (key == "rules") config.rules = value;
  else if (key == "listen") config.listen = value;
  else if (key == "audit-db") config.audit_db = value;
  else if (key == "replica-id") config.replica_id = value;
  else if (key == "ship-to") config.ship_to = value;
  else if (key == "ship-interval-ms") return number(config.ship_interval_ms, 10, 3600000);
  else if (key == "health-listen") config.health_listen = value;
  else if (key == "metrics-listen") config.metrics_listen = value;
  else if (key == "tls-cert") config.tls_cert = value;
  else if (key == "tls-key") config.tls_key = value;
  else if (key == "tls-client-ca") config.tls_client_ca = value;
  else if (key == "log-format") {
    if (value != "text" && value != "json") {
      error = "log-format must be text or json";
      return false;
    }
    config.log_format = value;
  } else if (key == "max-request-bytes") return number(config.max_request_bytes, 256, 64LL * 1024 * 1024);
  else if (key == "drain-seconds") return number(config.drain_seconds, 0, 3600);
  else if (key == "audit-busy-timeout-ms") return number(config.audit_busy_timeout_ms, 0, 600000);
  else if (key == "audit-signing-key") config.audit_signing_key = value;
  else if (key == "audit-checkpoint-records") return number(config.audit_checkpoint_records, 1, 1000000);
  else if (key == "audit-checkpoint-seconds") return number(config.audit_checkpoint_seconds, 1, 86400);
  else if (key == "watch-interval-ms") return number(config.watch_interval_ms, 0, 3600000);
  else if (key == "http-listen") config.http_listen = value;
  else if (key == "http-cors-origin") config.http_cors_origin = value;
  else if (key == "kiosk-dir") config.kiosk_dir = value;
  else if (key == "http-max-connections") return number(config.http_max_connections, 1, 100000);
  else if (key == "http-max-connections-per-client") return number(config.http_max_connections_per_client, 1, 100000);
  else if (key == "grpc-idle-timeout-ms") return number(config.grpc_idle_timeout_ms, 1000, 86400000);
  else if (key == "grpc-handshake-timeout-ms") return number(config.grpc_handshake_timeout_ms, 100, 600000);
  else if (key == "cds-jwt-leeway-seconds") return number(config.cds_jwt_leeway_seconds, 0, 600);
  else if (key == "http-idle-timeout-ms") return number(config.http_idle_timeout_ms, 10, 3600000);
  else if (key == "http-read-timeout-ms") return number(config.http_read_timeout_ms, 10, 3600000);
  else if (key == "http-max-header-bytes") return number(config.http_max_header_bytes, 1024, 1024 * 1024);
  else if (key == "audit-init") {
    if (value == "true" || value == "1" || value == "yes") config.audit_init = true;
    else if (value == "false" || value == "0" || value == "no") config.audit_init = false;
    else {
      error = "audit-init must be true or false";
      return false;
    }
  } else if (key == "trusted-keys") {
    config.trusted_keys = value;
  } else if (key == "require-approved") {
    if (value != "true" && value != "false") {
      error = "require-approved must be true or false";
      return false;
    }
    config.require_approved = value == "true";
  } else if (key == "cds-jwks") {
    config.cds_jwks = value;
  } else if (key == "fhir-base-url") {
    std::string url = value;
    while (!url.empty() && url.back() == '/') url.pop_back();
    if (!url.empty() && url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
      error = "fhir-base-url must be an http:// or https:// URL";
      return false;
    }
    config.fhir_base_url = url;
  } else if (key == "cds-fhir-ca") {
    config.cds_fhir_ca = value;
  } else if (key == "fhir-canonical-base") {
    std::string url = value;
    while (!url.empty() && url.back() == '/') url.pop_back();
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
      error = "fhir-canonical-base must be an http:// or https:// URL";
      return false;
    }
    config.fhir_canonical_base = url;
  } else if (key == "cds-fhir-servers") {
    config.cds_fhir_servers.clear();
    std::size_t start = 0;
    while (start <= value.size()) {
      std::size_t comma = value.find(',', start);
      std::string url = trim(value.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      while (!url.empty() && url.back() == '/') url.pop_back();
      if (!url.empty()) {
        std::size_t scheme = url.rfind("https://", 0) == 0 ? 8 : url.rfind("http://", 0) == 0 ? 7 : 0;
        if (scheme == 0 || url.size() == scheme || url.find_first_of("?#@ ") != std::string::npos) {
          error = "cds-fhir-servers takes http:// or https:// URL prefixes (no query, fragment or user info), "
                  "separated by commas; got `" + url + "`";
          return false;
        }
        config.cds_fhir_servers.push_back(url);
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  } else if (key == "cds-fhir-timeout-ms") {
    return number(config.cds_fhir_timeout_ms, 100, 60000);
  } else if (key == "admin-subjects") {
    config.admin_subjects.clear();
    // Comma-separated CNs; a list with `;` is split on `;` only, so whole DNs (with commas) fit.
    char separator = value.find(';') != std::string::npos ? ';' : ',';
    std::size_t start = 0;
    while (start <= value.size()) {
      std::size_t comma = value.find(separator, start);
      std::string item = trim(value.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (!item.empty()) config.admin_subjects.push_back(item);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  else {
    error = "unknown option " + key;
    return false;
  }
  return true;
}

}  // namespace

const std::vector<std::string>& serve_option_names() {
  static const std::vector<std::string> names{"rules",         "listen",        "audit-db",          "tls-cert",
                                              "tls-key",       "tls-client-ca", "log-format",        "max-request-bytes",
                                              "drain-seconds", "audit-busy-timeout-ms", "watch-interval-ms",
                                              "admin-subjects", "http-listen", "http-cors-origin", "kiosk-dir",
                                              "http-max-connections", "http-max-connections-per-client",
                                              "grpc-idle-timeout-ms", "grpc-handshake-timeout-ms", "http-idle-timeout-ms", "http-read-timeout-ms",
                                              "http-max-header-bytes", "replica-id", "ship-to", "ship-interval-ms",
                                              "audit-init", "health-listen", "trusted-keys", "require-approved",
                                              "audit-signing-key", "audit-checkpoint-records", "audit-checkpoint-seconds",
                                              "cds-jwks", "fhir-base-url", "fhir-canonical-base", "cds-fhir-servers",
                                              "cds-fhir-timeout-ms", "cds-fhir-ca", "cds-jwt-leeway-seconds", "metrics-listen"};
  return names;
}

bool load_serve_config(const std::vector<std::pair<std::string, std::string>>& given, ServeConfig& config,
                       std::string& error) {
  std::map<std::string, std::string> flags;
  std::string config_file;
  if (const char* path = std::getenv("TRIAGE_CONFIG")) config_file = path;
  for (const auto& [name, value] : given) {
    if (name == "config") config_file = value;
    else flags[name] = value;
  }
  if (!config_file.empty()) {
    std::ifstream in(config_file);
    if (!in) {
      error = "cannot read the config file " + config_file;
      return false;
    }
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
      ++number;
      line = trim(line.substr(0, line.find('#')));
      if (line.empty()) continue;
      auto equals = line.find('=');
      if (equals == std::string::npos) {
        error = config_file + ":" + std::to_string(number) + ": expected `key = value`";
        return false;
      }
      std::string key = trim(line.substr(0, equals));
      for (char& c : key) c = c == '_' ? '-' : c;
      if (!apply(config, key, trim(line.substr(equals + 1)), error)) {
        error = config_file + ":" + std::to_string(number) + ": " + error;
        return false;
      }
    }
  }
  for (const auto& name : serve_option_names()) {
    if (const char* value = std::getenv(env_name(name).c_str())) {
      if (!apply(config, name, value, error)) {
        error = env_name(name) + ": " + error;
        return false;
      }
    }
  }
  for (const auto& [name, value] : flags) {
    if (!apply(config, name, value, error)) {
      error = "--" + name + ": " + error;
      return false;
    }
  }
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    error = "TLS needs both --tls-cert and --tls-key";
    return false;
  }
  if (config.require_approved && config.trusted_keys.empty()) {
    error = "--require-approved needs --trusted-keys DIR (the public keys of the approvers)";
    return false;
  }
  if (!config.tls_client_ca.empty() && config.tls_cert.empty()) {
    error = "--tls-client-ca (mutual TLS) needs TLS: set --tls-cert and --tls-key";
    return false;
  }
  if ((!config.cds_jwks.empty() || !config.fhir_base_url.empty() || !config.cds_fhir_servers.empty()) &&
      config.http_listen.empty()) {
    error = "--cds-jwks, --fhir-base-url and --cds-fhir-servers need the HTTP listener: set --http-listen";
    return false;
  }
  return true;
}

}  // namespace triage
