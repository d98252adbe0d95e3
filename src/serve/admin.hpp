#pragma once
// Who may call the admin RPCs (ReloadRules) under TLS: a pure decision over names, so it can be
// tested by table without certificates.
#include <string>
#include <vector>

namespace triage {

// The names a client certificate's subject goes by, as gRPC reports it ("CN=ops,O=Clinic" or
// "/O=Clinic/CN=ops"): the whole subject, then its common name when it has one. Pure.
std::vector<std::string> subject_names(const std::string& subject);

// True when one of `subject_names` equals one of `admin_subjects` exactly (`ops` never matches
// `ops-mallory`). Pure.
bool is_admin(const std::vector<std::string>& subject_names, const std::vector<std::string>& admin_subjects);

}  // namespace triage
