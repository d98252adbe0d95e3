// Who may call ReloadRules under TLS: the subject's names against --admin-subjects, by table.
#include <catch2/catch.hpp>

#include "serve/admin.hpp"

namespace triage {

TEST_CASE("the names of a certificate subject: the whole subject, then its common name", "[serve][admin]") {
  struct Case {
    std::string subject;
    std::vector<std::string> names;
  };
  auto c = GENERATE(values<Case>({
      {"CN=ops,O=Clinic", {"CN=ops,O=Clinic", "ops"}},
      {"/O=Clinic/CN=ops", {"/O=Clinic/CN=ops", "ops"}},
      {"O=Clinic, CN=ops", {"O=Clinic, CN=ops", "ops"}},
      {"O=Clinic", {"O=Clinic"}},
      {"O=xCN=ops", {"O=xCN=ops"}},                           // `CN=` inside another value is no CN
      {"CN=first,CN=last", {"CN=first,CN=last", "last"}},     // the last CN counts
      {"", {""}},
  }));
  INFO(c.subject);
  CHECK(subject_names(c.subject) == c.names);
}

TEST_CASE("is_admin compares whole names only", "[serve][admin]") {
  struct Case {
    std::string subject;
    std::vector<std::string> admins;
    bool admin;
  };
  auto c = GENERATE(values<Case>({
      {"/O=Triage Interop Test/CN=clinic-admin", {"clinic-admin"}, true},
      {"/O=Triage Interop Test/CN=kiosk-042", {"clinic-admin"}, false},
      {"CN=ops-mallory,O=Clinic", {"ops"}, false},                       // a prefix is not a match
      {"CN=ops,O=Clinic", {"CN=ops,O=Clinic"}, true},                     // the whole subject
      {"CN=ops,O=Clinic", {"O=Clinic"}, false},                           // part of the subject is not
      {"CN=ops,O=Clinic", {"nurse", "ops"}, true},                        // any listed name
      {"CN=ops,O=Clinic", {}, false},                                      // nobody listed
      {"O=xCN=ops", {"ops"}, false},
      {"", {""}, false},                                                   // empty never matches
  }));
  INFO(c.subject);
  CHECK(is_admin(subject_names(c.subject), c.admins) == c.admin);
}

}  // namespace triage
