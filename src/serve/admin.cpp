#include "serve/admin.hpp"

#include <openssl/bio.h>
#include <openssl/pem.h>

#include <algorithm>
#include <memory>

namespace triage {

CertificateSubject subject_of(const X509_NAME* name) {
  CertificateSubject subject;
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (bio && X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) >= 0) {
    char* data = nullptr;
    long length = BIO_get_mem_data(bio.get(), &data);
    if (length > 0 && data != nullptr) subject.dn.assign(data, static_cast<std::size_t>(length));
  }
  for (int at = X509_NAME_get_index_by_NID(name, NID_commonName, -1); at >= 0;
       at = X509_NAME_get_index_by_NID(name, NID_commonName, at)) {
    const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, at));
    unsigned char* utf8 = nullptr;
    int length = ASN1_STRING_to_UTF8(&utf8, value);
    if (length < 0) {
      subject.common_names.emplace_back();  // unreadable: counts as a CN that matches nothing
      continue;
    }
    subject.common_names.emplace_back(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
    OPENSSL_free(utf8);
  }
  return subject;
}

std::optional<CertificateSubject> certificate_subject(std::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  if (!bio) return std::nullopt;
  std::unique_ptr<X509, decltype(&X509_free)> certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr),
                                                           X509_free);
  if (!certificate) return std::nullopt;
  return subject_of(X509_get_subject_name(certificate.get()));
}

std::vector<std::string> subject_names(const CertificateSubject& subject) {
  std::vector<std::string> names{subject.dn};
  if (subject.common_names.size() == 1) names.push_back(subject.common_names.front());
  return names;
}

bool is_admin(const std::vector<std::string>& subject_names, const std::vector<std::string>& admin_subjects) {
  return std::any_of(subject_names.begin(), subject_names.end(), [&](const std::string& name) {
    return !name.empty() && std::find(admin_subjects.begin(), admin_subjects.end(), name) != admin_subjects.end();
  });
}

}  // namespace triage
