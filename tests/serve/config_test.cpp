// `triage serve` configuration: flags over environment over config file over defaults.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

#include "serve/config.hpp"

namespace triage {

TEST_CASE("serve options: defaults, file, environment and flags in that order of strength", "[serve][config]") {
  std::string file = "/tmp/triage-config-test.conf";
  {
    std::ofstream out(file);
    out << "# a clinic's config\nlisten = 0.0.0.0:7000\naudit_db = /srv/triage/audit.db\nlog_format = json\n";
  }
  ServeConfig defaults;
  std::string error;
  REQUIRE(load_serve_config({}, defaults, error));
  CHECK(defaults.rules == "rules");
  CHECK(defaults.listen == "127.0.0.1:50051");
  CHECK(defaults.audit_db == "var/audit.db");

  setenv("TRIAGE_LISTEN", "127.0.0.1:7001", 1);
  ServeConfig config;
  REQUIRE(load_serve_config({{"config", file}, {"rules", "/etc/triage/rules"}}, config, error));
  unsetenv("TRIAGE_LISTEN");
  CHECK(config.rules == "/etc/triage/rules");        // flag
  CHECK(config.listen == "127.0.0.1:7001");          // environment beats the file
  CHECK(config.audit_db == "/srv/triage/audit.db");  // file
  CHECK(config.log_format == "json");
}

TEST_CASE("serve options: mistakes are named", "[serve][config]") {
  struct Case {
    std::vector<std::pair<std::string, std::string>> flags;
    std::string error;
  };
  auto c = GENERATE(values<Case>({
      {{{"colour", "red"}}, "unknown option colour"},
      {{{"log-format", "xml"}}, "log-format must be text or json"},
      {{{"tls-cert", "a.pem"}}, "TLS needs both --tls-cert and --tls-key"},
      {{{"tls-client-ca", "ca.pem"}}, "--tls-client-ca (mutual TLS) needs TLS: set --tls-cert and --tls-key"},
      {{{"max-request-bytes", "ten"}}, "max-request-bytes must be a whole number"},
      {{{"config", "/no/such/file"}}, "cannot read the config file /no/such/file"},
      {{{"require-approved", "true"}}, "--require-approved needs --trusted-keys DIR"},
      {{{"require-approved", "maybe"}, {"trusted-keys", "keys"}}, "require-approved must be true or false"},
      {{{"cds-fhir-servers", "https://fhir.test/r4"}}, "need the HTTP listener"},
      {{{"http-listen", "127.0.0.1:0"}, {"cds-fhir-servers", "ftp://fhir.test/r4"}}, "cds-fhir-servers takes http://"},
      {{{"http-listen", "127.0.0.1:0"}, {"cds-fhir-servers", "https://u:p@fhir.test/r4"}}, "no query, fragment or user info"},
      {{{"http-listen", "127.0.0.1:0"}, {"cds-fhir-servers", "https://fhir.test/r4?x=1"}}, "no query, fragment or user info"},
      {{{"http-listen", "127.0.0.1:0"}, {"cds-fhir-timeout-ms", "5"}}, "cds-fhir-timeout-ms"},
  }));
  ServeConfig config;
  std::string error;
  CHECK_FALSE(load_serve_config(c.flags, config, error));
  CHECK(error.find(c.error) != std::string::npos);
}

}  // namespace triage

namespace triage {

TEST_CASE("serve options: admin subjects are CNs split on commas, or whole DNs split on semicolons",
          "[serve][config][admin]") {
  ServeConfig config;
  std::string error;
  REQUIRE(load_serve_config({{"admin-subjects", "ops, clinic-admin"}}, config, error));
  CHECK(config.admin_subjects == std::vector<std::string>{"ops", "clinic-admin"});
  REQUIRE(load_serve_config({{"admin-subjects", "CN=ops,O=Clinic; clinic-admin"}}, config, error));
  CHECK(config.admin_subjects == std::vector<std::string>{"CN=ops,O=Clinic", "clinic-admin"});
}

TEST_CASE("serve options: the fhirServer allow-list is URL prefixes split on commas, none by default",
          "[serve][config][cds]") {
  ServeConfig config;
  std::string error;
  REQUIRE(load_serve_config({}, config, error));
  CHECK(config.cds_fhir_servers.empty());
  CHECK(config.cds_fhir_timeout_ms == 5000);
  REQUIRE(load_serve_config({{"http-listen", "127.0.0.1:0"},
                             {"cds-fhir-servers", "https://fhir.clinic.test/r4/, http://127.0.0.1:8090"},
                             {"cds-fhir-timeout-ms", "1500"}},
                            config, error));
  CHECK(config.cds_fhir_servers == std::vector<std::string>{"https://fhir.clinic.test/r4", "http://127.0.0.1:8090"});
  CHECK(config.cds_fhir_timeout_ms == 1500);
}

}  // namespace triage
