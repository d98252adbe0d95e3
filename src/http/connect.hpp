#pragma once
// The Connect protocol's unary encoding beside gRPC (connectrpc.com/docs/protocol): requests and
// replies in protobuf JSON or binary (application/proto), errors always as JSON
// {"code", "message", "details": [{"type", "value", "debug"}]}.
#include <string>
#include <vector>

#include "http/routes.hpp"
#include "intake/intake.hpp"

namespace triage::http_api {

// The media type of a Content-Type header: before any `;`, trailing spaces dropped, lower case.
std::string media_type(const std::string& content_type);

// True for `application/proto` (parameters ignored): a binary Connect unary call.
bool is_proto(const std::string& content_type);

// True when the request's body is in a content coding other than `identity` (Content-Encoding
// gzip, br, zstd...; the name in any case, spaces around). Nothing here decompresses, so such a body
// is refused, never misread. An empty body never is: there is nothing to decode.
bool encoded_body(const Request& request);

// The refusal of a request body in another content coding (`encoding`, as sent): on the Connect
// paths `unimplemented` naming the supported encoding, as the Connect protocol asks (501); on the
// others 415 (RFC 9110 15.5.16). Both say `Accept-Encoding: identity` (RFC 7694).
Reply unsupported_encoding(const std::string& encoding, bool connect);

// `error` (from error_reply) as a Connect error body: the refused answers, when any, become one
// `google.rpc.BadRequest` detail (a field violation per fact) with its JSON form under `debug`.
Reply connect_error(const Reply& error);

// The bytes of a google.rpc.BadRequest with one field violation (field = fact, description =
// message) per refused answer, in protobuf binary.
std::string bad_request_bytes(const std::vector<IntakeError>& violations);

}  // namespace triage::http_api
