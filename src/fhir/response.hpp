#pragma once
// FHIR QuestionnaireResponse JSON -> the engine's answers, with a FHIRPath for every problem.
#include <map>
#include <string>
#include <vector>

#include "compile/compiled.hpp"
#include "fhir/common.hpp"
#include "intake/intake.hpp"
#include "triage/v1/triage.pb.h"

namespace triage::fhir {

// What a QuestionnaireResponse said.
struct ResponseAnswers {
  std::vector<RawAnswer> raw;                        // answered questions, in document order
  std::vector<std::string> present;                  // fact ids with an item, answered or not
  std::map<std::string, std::string> item_path;      // fact id -> FHIRPath of its item
  std::vector<Issue> issues;                         // empty when the response could be read
  // Echoed into results: the response's id, subject, encounter and identifier (null when absent).
  std::string id;
  Json subject;
  Json encounter;
  Json identifier;
  std::string status;
};

// The QuestionnaireResponse inside `body`: the resource itself, or a Parameters resource with a
// resource parameter named `in`, `questionnaireResponse` or `response`. `path` receives the FHIRPath
// prefix to report issues under. Null with an issue when there is none.
const Json* unwrap_response(const Json& body, std::vector<Issue>& issues);

// Reads the answers of `response` against the served questionnaire. Items are matched by linkId
// (the fact id), at any depth of groups; display items (`*.help`, `*.intro`) are ignored. An item
// without answers is unanswered (for a repeating choice too: only the explicit exclusive "none"
// option answers "none of these"). Problems (unknown linkId, wrong value type, several answers to a
// single question, "none" together with other options, a code outside the question's options) become
// issues with the FHIRPath of the offending element.
ResponseAnswers read_response(const Json& response, const v1::Questionnaire& questionnaire, const FhirNames& names);

// Runs the engine's own answer checks (ranges, values) and adds an issue per refused answer at the
// FHIRPath of its item, with the same words as `triage eval`. True when every answer was accepted.
bool check_answers(const CompiledRuleset& ruleset, ResponseAnswers& answers);

// The answers as the service's request (request_id = the response id, at most 128 characters).
v1::EvaluateRequest to_evaluate_request(const ResponseAnswers& answers);

}  // namespace triage::fhir
