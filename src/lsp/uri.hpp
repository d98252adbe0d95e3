#pragma once
// `file://` URIs (RFC 8089, as editors send them) and local paths.
#include <string>

namespace triage::lsp {

// The local path of a `file://` URI, percent-decoded; empty when it is not a file URI.
std::string uri_to_path(const std::string& uri);

// The `file://` URI of an absolute path, percent-encoding what a URI path may not hold.
std::string path_to_uri(const std::string& path);

}  // namespace triage::lsp
