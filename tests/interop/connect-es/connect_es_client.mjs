// A real Connect client (connect-es 2 on connect-node, pinned in package-lock.json) against a running
// `triage serve --http-listen`, in binary protobuf (connect-es's default) and in JSON.
//
// usage: node connect_es_client.mjs BASE_URL DESCRIPTOR_SET EXAMPLES_DIR
//   BASE_URL        http://127.0.0.1:PORT of the server's HTTP listener
//   DESCRIPTOR_SET  `protoc --descriptor_set_out --include_imports` of proto/triage/v1/triage.proto and
//                   google/rpc/error_details.proto (tests/interop/connect_es_test.py makes it)
//   EXAMPLES_DIR    rules/examples (intakes and expected.tsv)
// Prints one line per check ("ok: ..." or "FAIL: ..."), then "DECISIONS <json>": every decision the
// client received ({decisionId, requestId, format}) so the caller can find them in the audit log.
// Exits 1 when any check failed, 2 on a usage error.
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { compressionGzip, createConnectTransport } from "@connectrpc/connect-node";

const [baseUrl, descriptorPath, examplesDir] = process.argv.slice(2);
if (!examplesDir) {
  console.error("usage: node connect_es_client.mjs BASE_URL DESCRIPTOR_SET EXAMPLES_DIR");
  process.exit(2);
}

let failures = 0;
function check(condition, what, detail) {
  if (condition) {
    console.log("ok: " + what);
  } else {
    failures++;
    // Printable ASCII only: a misread body may be quoted back in a message.
    const shown = detail === undefined ? "" : "\n  " + String(detail).replace(/[^\x20-\x7e\n]/g, "?");
    console.log("FAIL: " + what + shown);
  }
  return condition;
}
const show = (value) => JSON.stringify(value, (k, v) => (typeof v === "bigint" ? v.toString() : v));

// The service from the descriptors protoc wrote: no generated code.
const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(descriptorPath)));
const TriageService = registry.getService("triage.v1.TriageService");
const BadRequestSchema = registry.getMessage("google.rpc.BadRequest");
const enumNumber = (type, name) => registry.getEnum(type).values.find((v) => v.name === name).number;
const Outcome = { refer: enumNumber("triage.v1.Outcome", "refer"), self_care: enumNumber("triage.v1.Outcome", "self_care") };
const Urgency = { emergency: enumNumber("triage.v1.Urgency", "emergency") };

// What the transport sent and got back, per call (the last one), for the header checks.
let lastExchange = null;
const recordHeaders = (next) => async (req) => {
  lastExchange = { requestHeaders: new Headers(req.header), url: req.url };
  const res = await next(req);
  lastExchange.responseHeaders = new Headers(res.header);
  return res;
};

function transport(useBinaryFormat, extra = {}) {
  // The snippet of docs/integrators.md ("Connect clients"), plus an interceptor that records headers.
  return createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat, interceptors: [recordHeaders], ...extra });
}

// An intake file's JSON answers as EvaluateRequest answers, typed by the served questionnaire.
function typedAnswers(answers, questions) {
  const typed = {};
  for (const [fact, value] of Object.entries(answers)) {
    const question = questions.get(fact);
    if (!question) throw new Error(`fact ${fact} is not in the questionnaire`);
    switch (question.type) {
      case "bool": typed[fact] = { kind: { case: "boolValue", value } }; break;
      case "int": typed[fact] = { kind: { case: "intValue", value: BigInt(value) } }; break;
      case "enum": typed[fact] = { kind: { case: "enumValue", value } }; break;
      case "set": typed[fact] = { kind: { case: "setValue", value: { values: value } } }; break;
      default: throw new Error(`question type ${question.type} of ${fact} is unknown`);
    }
  }
  return typed;
}

const intake = (name) => JSON.parse(readFileSync(join(examplesDir, name), "utf8")).answers;
const expected = new Map(
  readFileSync(join(examplesDir, "expected.tsv"), "utf8")
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => line.split("\t"))
    .map(([example, outcome, urgency, inPlan, notInPlan]) => [
      example,
      { outcome, urgency, inPlan: inPlan === "-" ? [] : inPlan.split(","), notInPlan: notInPlan === "-" ? [] : notInPlan.split(",") },
    ]),
);

// Runs `call`, which must fail; returns the ConnectError (or records a failure and returns null).
async function refused(what, call) {
  try {
    const answer = await call();
    check(false, what + ": refused", "  answered instead: " + show(answer).slice(0, 300));
  } catch (err) {
    if (check(err instanceof ConnectError, what + ": a ConnectError", "  got " + err)) return err;
  }
  return null;
}

const decisions = [];

async function run(useBinaryFormat) {
  const format = useBinaryFormat ? "binary" : "json";
  const mediaType = useBinaryFormat ? "application/proto" : "application/json";
  const client = createClient(TriageService, transport(useBinaryFormat));

  // GetQuestionnaire and GetRuleset: the same ruleset.
  const questionnaire = await client.getQuestionnaire({});
  check(lastExchange.url === `${baseUrl}/triage.v1.TriageService/GetQuestionnaire`, `${format}: the Connect path`, lastExchange.url);
  check(lastExchange.requestHeaders.get("content-type") === mediaType, `${format}: the client sent ${mediaType}`);
  check(lastExchange.requestHeaders.get("connect-protocol-version") === "1", `${format}: the client sent Connect-Protocol-Version: 1`);
  check(lastExchange.responseHeaders.get("content-type") === mediaType, `${format}: the server answered ${mediaType}`,
    lastExchange.responseHeaders.get("content-type"));
  const questions = new Map(questionnaire.questions.map((q) => [q.fact, q]));
  const bladder = questions.get("bladder_or_bowel_change");
  check(/^sha256:[0-9a-f]{64}$/.test(questionnaire.rulesetHash) && questions.size >= 30 && bladder?.type === "bool" && bladder.redFlag,
    `${format}: GetQuestionnaire gives the questions (bladder_or_bowel_change: a bool red flag)`,
    show({ hash: questionnaire.rulesetHash, count: questions.size, bladder }));
  const age = questions.get("age");
  check(age?.type === "int" && age.min !== undefined && typeof age.min === "bigint", `${format}: int64 bounds arrive as bigint`, show(age));
  const ruleset = await client.getRuleset({});
  check(ruleset.rulesetHash === questionnaire.rulesetHash && ruleset.factCount >= questions.size && ruleset.ruleCount > 0,
    `${format}: GetRuleset names the same ruleset (hash, fact count)`, show({ hash: ruleset.rulesetHash, facts: ruleset.factCount }));

  // Evaluate: an emergency is referred as an emergency, with the red flag that fired.
  const before = Date.now();
  const emergency = await client.evaluate(
    { answers: typedAnswers(intake("emergency_cauda_equina.json"), questions), requestId: `connect-es-${format}-emergency` },
    { timeoutMs: 10000 },
  );
  check(lastExchange.requestHeaders.get("connect-timeout-ms") === "10000", `${format}: timeoutMs is sent as Connect-Timeout-Ms`);
  check(emergency.outcome === Outcome.refer && emergency.urgency === Urgency.emergency,
    `${format}: Evaluate (cauda equina) refers as an emergency`, show({ outcome: emergency.outcome, urgency: emergency.urgency }));
  const flags = emergency.redFlags.map((f) => f.rule);
  check(emergency.redFlags.length > 0 && emergency.redFlags.every((f) => f.reason.length > 0) &&
      emergency.redFlags.some((f) => f.urgency === Urgency.emergency && /bladder|bowel|saddle|cauda/i.test(f.rule + f.reason)),
    `${format}: the emergency red flag is named with its reason`, show(emergency.redFlags));
  check(emergency.plan.length === 0, `${format}: no self-care plan for an emergency`, show(emergency.plan.map((p) => p.technique)));
  check(emergency.nextStep?.urgency === Urgency.emergency && emergency.nextStep.action.length > 0,
    `${format}: the emergency's next step`, show(emergency.nextStep));
  check(emergency.requestId === `connect-es-${format}-emergency` && emergency.decisionId.length > 0 &&
      emergency.rulesetHash === questionnaire.rulesetHash, `${format}: decision id, request id echoed, ruleset hash`,
    show({ id: emergency.decisionId, requestId: emergency.requestId }));
  const decidedAt = Number(emergency.decidedAt?.seconds ?? 0n) * 1000;
  check(Math.abs(decidedAt - before) < 60000, `${format}: decidedAt is a Timestamp of now`, show(emergency.decidedAt));
  decisions.push({ decisionId: emergency.decisionId, requestId: emergency.requestId, format });

  // Evaluate: a simple intake gets the plan expected.tsv lists.
  const want = expected.get("self_care_lower_back.json");
  const plan = await client.evaluate({ answers: typedAnswers(intake("self_care_lower_back.json"), questions), requestId: `connect-es-${format}-plan` });
  const techniques = plan.plan.map((p) => p.technique);
  check(plan.outcome === Outcome.self_care && plan.urgency === undefined && plan.redFlags.length === 0,
    `${format}: Evaluate (lower back) gives self care, no urgency`, show({ outcome: plan.outcome, urgency: plan.urgency }));
  check(want.inPlan.length > 0 && want.inPlan.every((t) => techniques.includes(t)) && !want.notInPlan.some((t) => techniques.includes(t)),
    `${format}: the plan holds expected.tsv's techniques and none it excludes`, show(techniques));
  check(plan.plan.every((p) => p.title.length > 0 && p.instructions.length > 0 && p.why.length > 0),
    `${format}: every plan item has a title, instructions and a reason`);
  decisions.push({ decisionId: plan.decisionId, requestId: plan.requestId, format });

  // EvaluateBatch: two decisions and one refused intake, each on its own.
  const batch = await client.evaluateBatch({
    requestId: `connect-es-${format}-batch`,
    intakes: [
      { answers: typedAnswers(intake("emergency_cauda_equina.json"), questions), requestId: `connect-es-${format}-batch-0` },
      { answers: typedAnswers(intake("self_care_lower_back.json"), questions), requestId: `connect-es-${format}-batch-1` },
      { answers: { no_such_fact: { kind: { case: "boolValue", value: true } } }, requestId: `connect-es-${format}-batch-2` },
    ],
  });
  const [b0, b1, b2] = batch.results.map((r) => r.result);
  check(batch.results.length === 3 && b0?.case === "decision" && b0.value.outcome === Outcome.refer &&
      b0.value.urgency === Urgency.emergency && b1?.case === "decision" && b1.value.outcome === Outcome.self_care &&
      b1.value.requestId === `connect-es-${format}-batch-1`,
    `${format}: EvaluateBatch decides each intake (emergency, self care)`, show(batch.results.map((r) => r.result.case)));
  check(b2?.case === "error" && b2.value.code === "invalid_argument" && b2.value.details.some((d) => d.fact === "no_such_fact"),
    `${format}: EvaluateBatch refuses the bad intake alone, naming the fact`, show(b2));
  for (const item of [b0, b1]) {
    if (item?.case === "decision") decisions.push({ decisionId: item.value.decisionId, requestId: item.value.requestId, format });
  }

  // A bad intake: InvalidArgument, the service's message, a google.rpc.BadRequest naming the fact.
  for (const [what, answers, fact] of [
    ["an unknown fact", { no_such_fact: { kind: { case: "boolValue", value: true } } }, "no_such_fact"],
    ["a wrong type (age as a bool)", { age: { kind: { case: "boolValue", value: true } } }, "age"],
  ]) {
    const err = await refused(`${format}: Evaluate with ${what}`, () => client.evaluate({ answers }));
    if (!err) continue;
    check(err.code === Code.InvalidArgument, `${format}: ${what} is InvalidArgument`, `  code ${Code[err.code]}: ${err.rawMessage}`);
    check(err.rawMessage.includes(fact) && !err.rawMessage.startsWith("[") && err.rawMessage.length > fact.length,
      `${format}: ${what}: the service's message, naming the fact`, err.rawMessage);
    const details = err.findDetails(BadRequestSchema);
    const violations = details.flatMap((d) => d.fieldViolations);
    check(details.length === 1 && violations.some((v) => v.field === fact && v.description.length > 0),
      `${format}: ${what}: a BadRequest detail whose field violation names ${fact}`, show(details));
  }

  // A method the service has but does not serve over HTTP, and one it does not have: Unimplemented.
  const reload = await refused(`${format}: ReloadRules over Connect`, () => client.reloadRules({}));
  if (reload) check(reload.code === Code.Unimplemented && reload.rawMessage.includes("ReloadRules"),
    `${format}: ReloadRules is Unimplemented`, `  code ${Code[reload.code]}: ${reload.rawMessage}`);
  const missing = { ...TriageService.method.getRuleset, name: "GetNothing", localName: "getNothing" };
  const unknown = createClient({ ...TriageService, methods: [missing], method: { getNothing: missing } }, transport(useBinaryFormat));
  const nothing = await refused(`${format}: an unknown method`, () => unknown.getNothing({}));
  if (nothing) check(nothing.code === Code.Unimplemented && nothing.rawMessage.includes("GetNothing"),
    `${format}: an unknown method is Unimplemented`, `  code ${Code[nothing.code]}: ${nothing.rawMessage}`);

  // A compressed request (gzip, which the server does not read): Unimplemented naming what it reads,
  // not a misread body.
  const gzipClient = createClient(TriageService, transport(useBinaryFormat, { sendCompression: compressionGzip, compressMinBytes: 0 }));
  const gz = await refused(`${format}: a gzip-compressed request`, () =>
    gzipClient.evaluate({ answers: typedAnswers(intake("self_care_lower_back.json"), questions) }));
  if (gz) {
    check(lastExchange.requestHeaders.get("content-encoding") === "gzip", `${format}: the client sent Content-Encoding: gzip`);
    check(gz.code === Code.Unimplemented && gz.rawMessage.includes("gzip") && gz.rawMessage.includes("identity"),
      `${format}: a gzip request is Unimplemented, naming the supported encoding`, `  code ${Code[gz.code]}: ${gz.rawMessage}`);
  }
  // Responses are not compressed although the client accepts gzip and br: identity is always allowed.
  check(lastExchange.requestHeaders.get("accept-encoding")?.includes("gzip"), `${format}: the client accepts gzip replies`);
}

try {
  await run(true);
  await run(false);
} catch (err) {
  check(false, "no unexpected error", err instanceof ConnectError ? `${Code[err.code]}: ${err.rawMessage}` : err.stack);
}
console.log("DECISIONS " + JSON.stringify(decisions));
process.exit(failures === 0 ? 0 : 1);
