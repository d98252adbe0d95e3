#include "api/decision_json.hpp"

#include "util/utc_time.hpp"
#include "util/json_writer.hpp"

namespace triage {
namespace {

using Writer = JsonWriter;

void explanation(Writer& w, const v1::Explanation& e) {
  w.string_field("rule", e.rule());
  w.string_field("text", e.text());
  w.strings_field("sources", e.sources());
}

}  // namespace

std::string decision_to_json(const v1::Decision& d) {
  std::string out;
  out.reserve(4096);
  out += '{';
  Writer w(out);
  w.string_field("decision_id", d.decision_id());
  w.string_field("ruleset_hash", d.ruleset_hash());
  w.string_field("outcome", v1::Outcome_Name(d.outcome()));
  if (d.has_urgency()) w.string_field("urgency", v1::Urgency_Name(d.urgency()));
  w.objects_field("red_flags", d.red_flags(), [](Writer& o, const v1::RedFlag& flag) {
    o.string_field("rule", flag.rule());
    o.string_field("urgency", v1::Urgency_Name(flag.urgency()));
    o.string_field("reason", flag.reason());
    o.strings_field("sources", flag.sources());
  });
  w.strings_field("missing", d.missing());
  w.objects_field("plan", d.plan(), [](Writer& o, const v1::PlanItem& item) {
    o.string_field("technique", item.technique());
    o.string_field("title", item.title());
    o.string_field("phase", item.phase());
    o.string_field("instructions", item.instructions());
    o.string_field("dose", item.dose());
    o.objects_field("why", item.why(), explanation);
    o.objects_field("cautions", item.cautions(), explanation);
    o.strings_field("sources", item.sources());
  });
  w.objects_field("excluded", d.excluded(), [](Writer& o, const v1::Exclusion& exclusion) {
    o.string_field("technique", exclusion.technique());
    o.objects_field("reasons", exclusion.reasons(), explanation);
  });
  w.objects_field("cautions", d.cautions(), explanation);
  if (d.has_decided_at()) {
    std::int64_t micros = d.decided_at().seconds() * 1000000 + d.decided_at().nanos() / 1000;
    w.string_field("decided_at", utc_time(micros));
  }
  w.string_field("request_id", d.request_id());
  w.strings_field("refine", d.refine());
  if (d.has_next_step()) {
    const auto& step = d.next_step();
    w.object_field("next_step", [&](Writer& o) {
      o.string_field("urgency", v1::Urgency_Name(step.urgency()));
      o.string_field("action", step.action());
      o.string_field("meanwhile", step.meanwhile());
      o.string_field("escalate", step.escalate());
      o.strings_field("sources", step.sources());
    });
  }
  if (d.has_schedule()) {
    const auto& schedule = d.schedule();
    w.object_field("schedule", [&](Writer& o) {
      o.string_field("frequency", schedule.frequency());
      o.string_field("review", schedule.review());
      o.strings_field("sources", schedule.sources());
    });
  }
  if (d.has_safety_net()) w.object_field("safety_net", [&](Writer& o) { explanation(o, d.safety_net()); });
  w.objects_field("references", d.references(), [](Writer& o, const v1::Source& source) {
    o.string_field("id", source.id());
    o.string_field("title", source.title());
    o.string_field("url", source.url());
    o.string_field("document", source.document());
  });
  out += '}';
  return out;
}

std::string batch_to_json(const v1::EvaluateBatchResponse& response) {
  return json_object([&](Writer& w) {
    w.objects_field("results", response.results(), [](Writer& o, const v1::EvaluateBatchItem& item) {
      if (item.has_decision()) o.raw_field("decision", decision_to_json(item.decision()));
      if (item.has_error()) {
        o.object_field("error", [&](Writer& e) {
          e.string_field("code", item.error().code());
          e.string_field("message", item.error().message());
          e.objects_field("details", item.error().details(), [](Writer& d, const v1::AnswerProblem& problem) {
            d.string_field("fact", problem.fact());
            d.string_field("message", problem.message());
          });
        });
      }
    });
  });
}

}  // namespace triage
