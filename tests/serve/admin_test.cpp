// Who may call ReloadRules under TLS: the certificate subject as OpenSSL parses it, its names, and
// those names against --admin-subjects, by table; so `CN=ops` inside another attribute's value never
// makes a kiosk an admin.
#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

#include "serve/admin.hpp"
#include "serve/tls_files.hpp"

namespace triage {
namespace {

using Attributes = std::vector<std::pair<std::string, std::string>>;

std::unique_ptr<X509_NAME, decltype(&X509_NAME_free)> make_name(const Attributes& attributes) {
  std::unique_ptr<X509_NAME, decltype(&X509_NAME_free)> name(X509_NAME_new(), X509_NAME_free);
  for (const auto& [field, value] : attributes) {
    REQUIRE(X509_NAME_add_entry_by_txt(name.get(), field.c_str(), MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>(value.data()),
                                       static_cast<int>(value.size()), -1, 0) == 1);
  }
  return name;
}

// A self-signed certificate with this subject, as PEM (what gRPC hands the server); its private
// key as PEM in `key_pem` when asked.
std::string make_certificate_pem(const Attributes& attributes, std::string* key_pem = nullptr) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"),
                                                          EVP_PKEY_free);
  if (key_pem != nullptr) {
    std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), BIO_free);
    REQUIRE(PEM_write_bio_PrivateKey(out.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1);
    char* data = nullptr;
    long length = BIO_get_mem_data(out.get(), &data);
    key_pem->assign(data, static_cast<std::size_t>(length));
  }
  REQUIRE(key != nullptr);
  std::unique_ptr<X509, decltype(&X509_free)> certificate(X509_new(), X509_free);
  auto name = make_name(attributes);
  REQUIRE(X509_set_subject_name(certificate.get(), name.get()) == 1);
  REQUIRE(X509_set_issuer_name(certificate.get(), name.get()) == 1);
  X509_gmtime_adj(X509_getm_notBefore(certificate.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(certificate.get()), 3600);
  REQUIRE(X509_set_pubkey(certificate.get(), key.get()) == 1);
  REQUIRE(X509_sign(certificate.get(), key.get(), nullptr) > 0);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  REQUIRE(PEM_write_bio_X509(bio.get(), certificate.get()) == 1);
  char* data = nullptr;
  long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

std::vector<std::string> names_of(const Attributes& attributes) {
  return subject_names(subject_of(make_name(attributes).get()));
}

}  // namespace

TEST_CASE("the names of a certificate subject: the whole DN, then its only common name", "[serve][admin]") {
  struct Case {
    Attributes subject;
    std::vector<std::string> names;
  };
  auto c = GENERATE(values<Case>({
      {{{"O", "Clinic"}, {"CN", "ops"}}, {"CN=ops,O=Clinic", "ops"}},
      {{{"CN", "ops"}, {"O", "Clinic"}}, {"O=Clinic,CN=ops", "ops"}},
      {{{"O", "Clinic"}}, {"O=Clinic"}},
      {{{"O", "xCN=ops"}}, {"O=xCN=ops"}},                       // `CN=` inside another value is no CN
      {{{"O", "x CN=ops"}, {"CN", "kiosk-8"}}, {"CN=kiosk-8,O=x CN=ops", "kiosk-8"}},
      {{{"CN", "first"}, {"CN", "last"}}, {"CN=last,CN=first"}},  // two CNs: only the DN names it
      {{}, {""}},
  }));
  CHECK(names_of(c.subject) == c.names);
}

TEST_CASE("is_admin compares whole names only", "[serve][admin]") {
  struct Case {
    std::vector<std::string> names;
    std::vector<std::string> admins;
    bool admin;
  };
  auto c = GENERATE(values<Case>({
      {{"CN=clinic-admin,O=Triage Interop Test", "clinic-admin"}, {"clinic-admin"}, true},
      {{"CN=kiosk-042,O=Triage Interop Test", "kiosk-042"}, {"clinic-admin"}, false},
      {{"CN=ops-mallory,O=Clinic", "ops-mallory"}, {"ops"}, false},  // a prefix is not a match
      {{"CN=ops,O=Clinic", "ops"}, {"CN=ops,O=Clinic"}, true},        // the whole subject
      {{"CN=ops,O=Clinic", "ops"}, {"O=Clinic"}, false},              // part of the subject is not
      {{"CN=ops,O=Clinic", "ops"}, {"nurse", "ops"}, true},           // any listed name
      {{"CN=ops,O=Clinic", "ops"}, {}, false},                        // nobody listed
      {{"O=xCN=ops"}, {"ops"}, false},
      {{""}, {""}, false},                                            // empty never matches
  }));
  CHECK(is_admin(c.names, c.admins) == c.admin);
}

TEST_CASE("the admin check from a certificate: the parsed CN or the whole DN, never text inside a value",
          "[serve][admin]") {
  struct Case {
    Attributes subject;
    std::vector<std::string> admins;
    bool admin;
  };
  const std::vector<Case> cases{
      {{{"CN", "ops"}}, {"ops"}, true},
      {{{"O", "Clinic"}, {"CN", "ops"}}, {"ops"}, true},
      {{{"O", "Clinic"}, {"CN", "ops"}}, {"kiosk", "ops"}, true},
      // The red team's subjects: `CN=ops` inside the O or OU value; the real CN is a kiosk.
      {{{"O", "x CN=ops"}, {"CN", "kiosk-8"}}, {"ops"}, false},
      {{{"OU", "y,CN=ops"}, {"CN", "kiosk-9"}}, {"ops"}, false},
      {{{"OU", "y/CN=ops"}, {"CN", "kiosk-9"}}, {"ops"}, false},
      {{{"CN", "kiosk-9"}, {"OU", "y,CN=ops"}}, {"ops"}, false},
      {{{"CN", "ops-mallory"}}, {"ops"}, false},
      {{{"CN", "ops "}}, {"ops"}, false},
      {{{"CN", "xops"}}, {"ops"}, false},
      {{{"O", "ops"}}, {"ops"}, false},
      // Two CN attributes: which one names the client is ambiguous, so neither does.
      {{{"CN", "ops"}, {"CN", "kiosk-8"}}, {"ops"}, false},
      {{{"CN", "kiosk-8"}, {"CN", "ops"}}, {"ops"}, false},
      // The whole DN (RFC 2253: last attribute first, specials escaped).
      {{{"O", "Clinic"}, {"CN", "ops"}}, {"CN=ops,O=Clinic"}, true},
      {{{"CN", "ops"}, {"CN", "kiosk-8"}}, {"CN=kiosk-8,CN=ops"}, true},
      {{{"O", "x"}, {"CN", "ops"}}, {"CN=ops,O=Clinic"}, false},
      // A DN-looking CN cannot pass as the DN: the comma inside a value is escaped.
      {{{"CN", "ops,O=Clinic"}}, {"CN=ops,O=Clinic"}, false},
      {{{"CN", "ops"}}, {}, false},
      {{{"CN", "ops"}}, {""}, false},
      {{{"CN", "caf\xC3\xA9"}}, {"caf\xC3\xA9"}, true},
  };
  for (const auto& c : cases) {
    auto name = make_name(c.subject);
    CertificateSubject subject = subject_of(name.get());
    std::string shown;
    for (const auto& [field, value] : c.subject) shown += "/" + field + "=" + value;
    INFO(shown << " -> DN " << subject.dn);
    CHECK(is_admin(subject_names(subject), c.admins) == c.admin);
    // The same answer from a real certificate's PEM, as the server reads it.
    auto parsed = certificate_subject(make_certificate_pem(c.subject));
    REQUIRE(parsed.has_value());
    CHECK(parsed->dn == subject.dn);
    CHECK(is_admin(subject_names(*parsed), c.admins) == c.admin);
  }
}

TEST_CASE("the DN is escaped so one subject cannot pass for another", "[serve][admin]") {
  auto tricky = subject_of(make_name({{"O", "x CN=ops"}, {"CN", "kiosk-8"}}).get());
  CHECK(tricky.dn == "CN=kiosk-8,O=x CN=ops");
  CHECK(tricky.common_names == std::vector<std::string>{"kiosk-8"});
  auto comma = subject_of(make_name({{"OU", "y,CN=ops"}, {"CN", "kiosk-9"}}).get());
  CHECK(comma.dn == "CN=kiosk-9,OU=y\\,CN=ops");
  auto control = subject_of(make_name({{"CN", std::string("a\nb", 3)}}).get());
  CHECK(control.dn.find('\n') == std::string::npos);
  CHECK_FALSE(certificate_subject("not a certificate").has_value());
}

TEST_CASE("a wrong TLS key or certificate file is named as such", "[serve][tls]") {
  std::string key_a, key_b;
  std::string cert_a = make_certificate_pem({{"CN", "localhost"}}, &key_a);
  make_certificate_pem({{"CN", "other"}}, &key_b);
  struct Case {
    std::string certificate, key, problem;
  };
  const std::vector<Case> cases{
      {cert_a, key_a, ""},
      {cert_a, key_b, "the private key does not belong to the certificate"},
      {cert_a, cert_a, "the key file holds no PEM private key (or it is encrypted)"},
      {key_a, key_a, "the certificate file holds no PEM certificate"},
      {"", key_a, "the certificate file holds no PEM certificate"},
  };
  for (const auto& c : cases) CHECK(tls_pair_problem(c.certificate, c.key) == c.problem);
}

}  // namespace triage
