#include "http/routes.hpp"

#include <google/protobuf/util/json_util.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/answers_proto.hpp"
#include "http/connect.hpp"
#include "api/decision_json.hpp"
#include "api/decision_proto.hpp"
#include "util/json_reader.hpp"
#include "util/json_writer.hpp"

namespace triage::http_api {
namespace {

constexpr const char* connect_prefix = "/triage.v1.TriageService/";

Reply json_reply(std::string body) {
  Reply reply;
  reply.body = std::move(body);
  return reply;
}

// {"NAME": "VALUE"}
Reply json_reply(std::string_view name, std::string_view value) {
  return json_reply(json_object([&](JsonWriter& w) { w.string_field(name, value); }));
}

Reply method_not_allowed(const std::string& method, const std::string& path, const char* allowed) {
  Reply reply = error_reply(405, "unimplemented", method + " is not allowed on " + path + "; use " + allowed);
  reply.headers.emplace_back("Allow", allowed);
  return reply;
}

bool is_json(const std::string& content_type) { return media_type(content_type) == "application/json"; }

std::string content_type_for(const std::filesystem::path& path) {
  static const std::map<std::string, std::string> types{
      {".html", "text/html; charset=utf-8"},  {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"}, {".json", "application/json"},
      {".svg", "image/svg+xml"},                 {".png", "image/png"},
      {".ico", "image/x-icon"},                  {".txt", "text/plain; charset=utf-8"}};
  auto found = types.find(path.extension().string());
  return found == types.end() ? "application/octet-stream" : found->second;
}

// {"request_id": "...", "intakes": [{"answers": {...}, "request_id": "..."}, ...]}: the batch's
// shape must be right (else false with `error`); an intake that is not an intake object becomes an
// item refused on its own (`unreadable`).
bool parse_batch_json(const std::string& body, DecideBatchCall& batch, std::string& error) {
  JsonValue document;
  if (!read_json(body, document, error)) {
    error = "the body is not valid JSON: " + error;
    return false;
  }
  // Not json_member: the intakes are consumed (their strings moved into the calls).
  JsonValue* intakes = nullptr;
  for (auto& member : document.object) {
    if (member.first == "intakes" && member.second.kind == JsonValue::Kind::array) intakes = &member.second;
  }
  if (intakes == nullptr) {
    error = "the body must be a JSON object with an \"intakes\" list, like {\"intakes\": [{\"answers\": {}}]}";
    return false;
  }
  for (const auto& [key, value] : document.object) {
    if (key == "request_id") {
      if (value.kind != JsonValue::Kind::string) {
        error = "\"request_id\" must be a string";
        return false;
      }
      batch.request_id = value.string;
    } else if (key != "intakes") {
      error = "unexpected key \"" + key + "\" in the batch; only \"intakes\" and \"request_id\" are allowed";
      return false;
    }
  }
  batch.items.resize(intakes->array.size());
  if (batch.items.size() > max_batch_intakes) return true;  // refused as a whole by the Decider
  for (std::size_t i = 0; i < intakes->array.size(); ++i) {
    DecideCall& item = batch.items[i];
    std::string item_error;
    if (!intake_from_json(std::move(intakes->array[i]), item.raw, item_error, &item.request_id)) {
      item.raw.clear();
      item.unreadable = item_error;
    }
  }
  return true;
}

}  // namespace

Reply error_reply(unsigned status, const std::string& code, const std::string& message,
                  const std::vector<IntakeError>& details) {
  Reply reply;
  reply.status = status;
  reply.error_code = code;
  reply.error_message = message;
  reply.error_details = details;
  reply.body = json_object([&](JsonWriter& w) {
    w.string_field("code", code);
    w.string_field("message", valid_utf8(message));  // may quote the path or answers: bytes, not UTF-8
    w.objects_field("details", details, [](JsonWriter& d, const IntakeError& error) {
      d.string_field("fact", valid_utf8(error.fact));
      d.string_field("message", valid_utf8(error.message));
    });
  });
  return reply;
}

std::map<std::string, StaticFile> load_static_files(const std::string& folder) {
  namespace fs = std::filesystem;
  std::map<std::string, StaticFile> files;
  std::error_code error;
  if (folder.empty()) return files;
  for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
    if (!it->is_regular_file()) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    files[it->path().filename().string()] = StaticFile{content_type_for(it->path()), text.str()};
  }
  return files;
}

bool cors_allowed(const std::string& origin, const std::string& cors_origins) {
  if (origin.empty() || cors_origins.empty()) return false;
  std::size_t start = 0;
  while (start <= cors_origins.size()) {
    std::size_t comma = cors_origins.find(',', start);
    std::string_view entry(cors_origins.data() + start,
                           (comma == std::string::npos ? cors_origins.size() : comma) - start);
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    if (entry == "*" || entry == origin) return true;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return false;
}

void add_common_headers(Reply& reply, const std::string& origin, const std::string& cors_origin) {
  // Scripts, styles and calls from this origin only; no inline code, frames, forms or plugins.
  reply.headers.emplace_back("Content-Security-Policy",
                             "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                             "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
  reply.headers.emplace_back("X-Content-Type-Options", "nosniff");
  reply.headers.emplace_back("Referrer-Policy", "no-referrer");
  reply.headers.emplace_back("X-Frame-Options", "DENY");
  // Nothing a patient answered or was told may stay in a public kiosk's cache.
  reply.headers.emplace_back("Cache-Control", "no-store");
  if (!cors_origin.empty()) {
    reply.headers.emplace_back("Vary", "Origin");
    if (cors_allowed(origin, cors_origin)) reply.headers.emplace_back("Access-Control-Allow-Origin", origin);
  }
}

Router::Router(Decider& decider, std::function<bool()> ready, std::map<std::string, StaticFile> kiosk,
               std::shared_ptr<fhir::FhirService> fhir, std::function<std::string()> metrics,
               std::vector<std::pair<std::string, std::string>> build)
    : decider_(decider), ready_(std::move(ready)), kiosk_(std::move(kiosk)), fhir_(std::move(fhir)),
      metrics_(std::move(metrics)), build_(std::move(build)) {}

Reply metrics_reply(const std::string& method, const std::function<std::string()>& metrics) {
  if (method != "GET") return method_not_allowed(method, "/metrics", "GET");
  Reply reply;
  reply.content_type = "text/plain; version=0.0.4; charset=utf-8";
  reply.body = metrics();
  return reply;
}

void Router::handle(const Request& request, v1::Decision& decision, std::function<void(Reply)> reply) const {
  const std::string path = request.target.substr(0, request.target.find('?'));
  const std::string& method = request.method;
  auto only = [&](const char* allowed) {
    // HEAD is GET without the body (the transport drops it, keeping Content-Length).
    if (method == allowed || (method == "HEAD" && std::string_view(allowed) == "GET")) return true;
    reply(method_not_allowed(method, path, allowed));
    return false;
  };
  if (fhir_ && fhir::is_fhir_target(path)) return serve_fhir(request, std::move(reply));
  if (path == "/metrics" && metrics_) return reply(metrics_reply(method, metrics_));
  auto served = decider_.served();
  if (path == "/healthz") {
    if (!only("GET")) return;
    reply(json_reply(json_object([&](JsonWriter& w) {
      w.string_field("status", "alive");
      for (const auto& [name, value] : build_) w.string_field(name, value);
    })));
    return;
  }
  if (path == "/readyz") {
    if (!only("GET")) return;
    // The shipping lag is a field of its own: readiness depends on the local audit log only.
    v1::RulesetInfo info = decider_.ruleset_info();
    std::string shipping = info.has_shipping() ? to_json(info.shipping()) : "";
    if (ready_()) {
      return reply(json_reply(json_object([&](JsonWriter& w) {
        w.string_field("status", "SERVING");
        if (!shipping.empty()) w.raw_field("shipping", shipping);
      })));
    }
    const char* why = "NOT_SERVING: the audit log cannot be written (or the server is stopping); decisions are "
                      "refused until it can";
    Reply down = error_reply(503, "unavailable", why);
    if (!shipping.empty()) {
      down.body = json_object([&](JsonWriter& w) {  // the error body, with the shipping state beside it
        w.string_field("code", "unavailable");
        w.string_field("message", why);
        w.raw_field("details", "[]");
        w.raw_field("shipping", shipping);
      });
    }
    down.headers.emplace_back("Retry-After", "1");
    return reply(std::move(down));
  }
  if (path == "/v1/questionnaire") {
    if (only("GET")) reply(json_reply(to_json(served->questionnaire)));
    return;
  }
  if (path == "/v1/ruleset") {
    if (only("GET")) reply(json_reply(to_json(decider_.ruleset_info())));
    return;
  }
  DecideCall call;
  call.client = request.client;
  call.trace_id = request.trace_id;
  if (!request.connect_timeout.empty()) {
    char* end = nullptr;
    long long ms = std::strtoll(request.connect_timeout.c_str(), &end, 10);
    if (*end != '\0' || ms < 0 || request.connect_timeout.size() > 10) {
      return reply(error_reply(400, "invalid_argument", "Connect-Timeout-Ms must be a whole number of milliseconds"));
    }
    call.deadline = std::chrono::system_clock::now() + std::chrono::milliseconds(ms);
  }
  if (path == "/v1/evaluate") {
    if (!only("POST")) return;
    if (encoded_body(request)) return reply(unsupported_encoding(request.content_encoding, false));
    if (!request.content_type.empty() && !is_json(request.content_type)) {
      return reply(error_reply(415, "invalid_argument", "send the intake as application/json"));
    }
    std::string error;
    if (!parse_intake_json(request.body, call.raw, error, &call.request_id)) {
      return reply(error_reply(400, "invalid_argument", error));
    }
    return evaluate(std::move(call), decision, std::move(reply), false, request.render_later);
  }
  if (path == "/v1/evaluate-batch") {
    if (!only("POST")) return;
    if (encoded_body(request)) return reply(unsupported_encoding(request.content_encoding, false));
    if (!request.content_type.empty() && !is_json(request.content_type)) {
      return reply(error_reply(415, "invalid_argument", "send the intakes as application/json"));
    }
    DecideBatchCall batch;
    std::string error;
    if (!parse_batch_json(request.body, batch, error)) return reply(error_reply(400, "invalid_argument", error));
    batch.client = call.client;
    batch.trace_id = call.trace_id;
    batch.deadline = call.deadline;
    return evaluate_batch(std::move(batch), std::move(reply), false, request.render_later);
  }
  if (path.rfind(connect_prefix, 0) == 0) {
    std::string rpc = path.substr(std::string(connect_prefix).size());
    if (rpc != "Evaluate" && rpc != "EvaluateBatch" && rpc != "GetQuestionnaire" && rpc != "GetRuleset") {
      return reply(error_reply(404, "unimplemented", "triage.v1.TriageService has no method " + rpc + " over HTTP"));
    }
    if (!only("POST")) return;
    const bool binary = is_proto(request.content_type);
    if (!binary && !is_json(request.content_type)) {
      return reply(error_reply(415, "invalid_argument",
                               "Connect unary calls take application/json or application/proto"));
    }
    // Connect errors are JSON with typed details, whichever encoding the call used.
    auto answer = [reply = std::move(reply)](Reply out) { reply(out.status >= 400 ? connect_error(out) : std::move(out)); };
    // Nothing here decompresses: a compressed body is refused, never misread as a message.
    if (encoded_body(request)) return answer(unsupported_encoding(request.content_encoding, true));
    namespace pbu = google::protobuf::util;
    auto read = [&](google::protobuf::Message& message, const char* name, std::string& why) {
      if (binary) {
        if (message.ParseFromString(request.body)) return true;
        why = std::string("the body is not a ") + name + " in binary protobuf";
        return false;
      }
      auto status = pbu::JsonStringToMessage(request.body.empty() ? "{}" : request.body, &message, pbu::JsonParseOptions{});
      if (status.ok()) return true;
      why = std::string("the body is not a ") + name + " in JSON: " + std::string(status.message());
      return false;
    };
    std::string why;
    if (rpc == "Evaluate") {
      v1::EvaluateRequest message;
      if (!read(message, "triage.v1.EvaluateRequest", why)) return answer(error_reply(400, "invalid_argument", why));
      call.request_id = message.request_id();
      call.raw = raw_answers(message, call.errors);
      return evaluate(std::move(call), decision, std::move(answer), binary);
    }
    if (rpc == "EvaluateBatch") {
      v1::EvaluateBatchRequest message;
      if (!read(message, "triage.v1.EvaluateBatchRequest", why)) return answer(error_reply(400, "invalid_argument", why));
      DecideBatchCall batch;
      batch.client = call.client;
      batch.trace_id = call.trace_id;
      batch.deadline = call.deadline;
      batch.request_id = message.request_id();
      batch.items.resize(static_cast<std::size_t>(message.intakes_size()));
      if (batch.items.size() <= max_batch_intakes) {  // else refused as a whole, unread
        for (int i = 0; i < message.intakes_size(); ++i) {
          DecideCall& item = batch.items[static_cast<std::size_t>(i)];
          item.request_id = message.intakes(i).request_id();
          item.raw = raw_answers(message.intakes(i), item.errors);
        }
      }
      return evaluate_batch(std::move(batch), std::move(answer), binary);
    }
    v1::GetRulesetRequest empty;  // both requests are empty messages
    if (!read(empty, "empty message", why)) {
      return answer(error_reply(400, "invalid_argument", binary ? why : "the body must be an empty JSON object: {}"));
    }
    if (binary) {
      Reply out;
      out.content_type = "application/proto";
      out.body = rpc == "GetRuleset" ? decider_.ruleset_info().SerializeAsString() : served->questionnaire.SerializeAsString();
      return answer(std::move(out));
    }
    return answer(json_reply(rpc == "GetRuleset" ? to_json(decider_.ruleset_info()) : to_json(served->questionnaire)));
  }
  if (!kiosk_.empty() && (path == "/" || path == "/kiosk")) {
    if (!only("GET")) return;
    Reply moved = json_reply("location", "/kiosk/");
    moved.status = 308;
    moved.headers.emplace_back("Location", "/kiosk/");
    return reply(std::move(moved));
  }
  if (path.rfind("/kiosk/", 0) == 0) {
    std::string name = path.substr(7);
    if (name.empty()) name = "index.html";
    auto file = kiosk_.find(name);  // only files read at start: no path ever reaches the file system
    if (file != kiosk_.end()) {
      if (!only("GET")) return;
      Reply found;
      found.content_type = file->second.content_type;
      found.body = file->second.body;
      return reply(std::move(found));
    }
  }
  reply(error_reply(404, "not_found", "no such path: " + path));
}

void Router::serve_fhir(const Request& request, std::function<void(Reply)> reply) const {
  fhir::Headers headers;
  if (!request.content_type.empty()) headers.emplace_back("Content-Type", request.content_type);
  if (!request.authorization.empty()) headers.emplace_back("Authorization", request.authorization);
  // Decisions reply from the audit log's completion thread, after the commit (as /v1/evaluate).
  fhir::handle_fhir_async(
      request.method, request.target, headers, request.body, *fhir_,
      [log = decider_.log(), client = request.client, path = request.target.substr(0, request.target.find('?')),
       reply = std::move(reply)](fhir::HttpResult result) {
        Reply out;
        out.status = static_cast<unsigned>(result.status);
        out.content_type = std::move(result.content_type);
        out.body = std::move(result.body);
        out.headers = std::move(result.headers);
        if (out.status == 401) {
          // A refused CDS Hooks client: the reason is in the challenge, never the token.
          std::string reason;
          for (const auto& [name, value] : out.headers) {
            if (name == "WWW-Authenticate") reason = value;
          }
          log->warn("cds_unauthorized", {{"client", client}, {"path", path}, {"challenge", reason}});
        } else if (out.status < 400 && !result.log_note.empty()) {
          // Answered, with something the operator should know (a response about another patient
          // ignored); never the answers.
          log->warn("fhir_note", {{"status", std::to_string(out.status), true}, {"client", client}, {"path", path},
                                  {"reason", result.log_note}});
        } else if (out.status >= 400) {
          // Refused before (or instead of) a decision; the body is not logged: it may quote answers.
          if (result.log_note.empty()) {
            log->warn("fhir_refused", {{"status", std::to_string(out.status), true}, {"client", client}, {"path", path}});
          } else {
            log->warn("fhir_refused", {{"status", std::to_string(out.status), true}, {"client", client}, {"path", path},
                                       {"reason", result.log_note}});
          }
        }
        reply(std::move(out));
      },
      request.client);
}

namespace {

// The HTTP reply for a finished decide call, single or batch: `body()` once committed in time
// (a reply after the client's deadline is not sent as a decision: `what` was logged but not
// returned), else the status as an error body. `later`: a JSON body is made by the transport
// (Reply::render), so `body` must stay callable after this returns.
template <typename Deadline, typename Body>
Reply decided_reply(const DecideStatus& status, Deadline deadline, const char* what, Body body, bool binary,
                    bool later) {
  switch (status.code) {
    case DecideCode::ok:
      if (std::chrono::system_clock::now() > deadline) {
        return error_reply(504, "deadline_exceeded",
                           std::string("the deadline passed before the reply; ") + what + " logged but not returned");
      }
      if (binary) {
        Reply out;
        out.content_type = "application/proto";
        out.body = body();
        return out;
      }
      if (later) {
        Reply out;
        out.render = [body] { return body() + "\n"; };
        return out;
      }
      return json_reply(body() + "\n");
    case DecideCode::invalid_argument:
      return error_reply(400, "invalid_argument", status.message, status.errors);
    case DecideCode::deadline_exceeded:
      return error_reply(504, "deadline_exceeded", status.message);
    case DecideCode::unavailable:
      break;
  }
  Reply busy = error_reply(503, "unavailable", status.message);
  busy.headers.emplace_back("Retry-After", "1");
  return busy;
}

}  // namespace

void Router::evaluate(DecideCall call, v1::Decision& decision, std::function<void(Reply)> reply, bool binary,
                      bool later) const {
  auto deadline = call.deadline;
  decider_.decide(std::move(call), decision,
                  [&decision, deadline, binary, later, reply = std::move(reply)](const DecideStatus& status) {
                    reply(decided_reply(
                        status, deadline, "the decision was",
                        [&decision, binary] {
                          return binary ? decision.SerializeAsString() : decision_to_json(decision);
                        },
                        binary, later));
                  });
}

void Router::evaluate_batch(DecideBatchCall call, std::function<void(Reply)> reply, bool binary, bool later) const {
  auto deadline = call.deadline;
  auto response = std::make_shared<v1::EvaluateBatchResponse>();
  auto& storage = *response;
  decider_.decide_batch(
      std::move(call), storage,
      [response, deadline, binary, later, reply = std::move(reply)](const DecideStatus& status) {
        reply(decided_reply(
            status, deadline, "the decisions were",
            [response, binary] { return binary ? response->SerializeAsString() : batch_to_json(*response); }, binary,
            later));
      });
}

}  // namespace triage::http_api
