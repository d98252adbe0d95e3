#include "http/connect.hpp"

#include <cctype>

#include "util/json_text.hpp"
#include "util/json_writer.hpp"

namespace triage::http_api {
namespace {

void put_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out += static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value);
}

// A length-delimited field (wire type 2).
void put_bytes(std::string& out, int field, const std::string& bytes) {
  put_varint(out, static_cast<std::uint64_t>(field) << 3 | 2);
  put_varint(out, bytes.size());
  out += bytes;
}

// Standard alphabet, no padding: what the Connect protocol sends in `value`.
std::string base64_unpadded(const std::string& bytes) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    unsigned n = static_cast<unsigned char>(bytes[i]) << 16 | static_cast<unsigned char>(bytes[i + 1]) << 8 |
                 static_cast<unsigned char>(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += alphabet[(n >> shift) & 63];
  }
  if (i + 1 == bytes.size()) {
    unsigned n = static_cast<unsigned char>(bytes[i]) << 16;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
  } else if (i + 2 == bytes.size()) {
    unsigned n = static_cast<unsigned char>(bytes[i]) << 16 | static_cast<unsigned char>(bytes[i + 1]) << 8;
    for (int shift : {18, 12, 6}) out += alphabet[(n >> shift) & 63];
  }
  return out;
}

}  // namespace

std::string media_type(const std::string& content_type) {
  std::string type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type;
}

bool is_proto(const std::string& content_type) { return media_type(content_type) == "application/proto"; }

bool encoded_body(const Request& request) {
  if (request.body.empty()) return false;
  std::string coding = request.content_encoding;
  while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t')) coding.pop_back();
  std::size_t start = coding.find_first_not_of(" \t");
  coding = start == std::string::npos ? "" : coding.substr(start);
  for (char& c : coding) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return !coding.empty() && coding != "identity";
}

Reply unsupported_encoding(const std::string& encoding, bool connect) {
  std::string shown = valid_utf8(encoding.substr(0, 40));
  Reply out = connect ? error_reply(501, "unimplemented",
                                    "Content-Encoding " + shown + " is not supported; the supported encodings are: identity")
                      : error_reply(415, "invalid_argument",
                                    "Content-Encoding " + shown + " is not supported; send the body uncompressed (identity)");
  out.headers.emplace_back("Accept-Encoding", "identity");
  return out;
}

std::string bad_request_bytes(const std::vector<IntakeError>& violations) {
  std::string request;
  for (const auto& violation : violations) {
    std::string field_violation;
    put_bytes(field_violation, 1, valid_utf8(violation.fact));
    put_bytes(field_violation, 2, valid_utf8(violation.message));
    put_bytes(request, 1, field_violation);  // BadRequest.field_violations
  }
  return request;
}

Reply connect_error(const Reply& error) {
  Reply out = error;
  out.content_type = "application/json";
  out.body = json_object([&](JsonWriter& w) {
    w.string_field("code", error.error_code);
    w.string_field("message", valid_utf8(error.error_message));
    if (error.error_details.empty()) {
      w.raw_field("details", "[]");  // as every other error body here
      return;
    }
    std::string debug = json_object([&](JsonWriter& d) {
      d.objects_field("fieldViolations", error.error_details, [](JsonWriter& v, const IntakeError& e) {
        v.string_field("field", valid_utf8(e.fact));
        v.string_field("description", valid_utf8(e.message));
      });
    });
    std::string detail = json_object([&](JsonWriter& d) {
      d.string_field("type", "google.rpc.BadRequest");
      d.string_field("value", base64_unpadded(bad_request_bytes(error.error_details)));
      d.raw_field("debug", debug);
    });
    w.raw_field("details", "[" + detail + "]");
  });
  return out;
}

}  // namespace triage::http_api
