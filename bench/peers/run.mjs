// The generated rulesets on two peer rule engines, beside triage's own figure from the same run.
// Reads the sets triage_peers_export wrote (facts, condition trees, intakes, the ids whose condition
// holds on each intake by triage's compiled programs, triage's µs per evaluate()); translates every
// condition to json-rules-engine rules and to zen-engine decision graphs; checks that every engine
// fires exactly the exported set on every intake (exit 1 with the first difference otherwise); then
// times one decision at a time (warm-up, then RUNS runs of about RUN_MS each, median).
// Usage: node run.mjs EXPORT_DIR [--runs 5] [--run-ms 1000] [--json OUT.json]   (Markdown on stdout)
import fs from 'node:fs';
import path from 'node:path';
import { Engine } from 'json-rules-engine';
import { ZenEngine } from '@gorules/zen-engine';

const args = process.argv.slice(2);
const exportDir = args[0];
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};
const runs = Number(option('--runs', 5));
const runMs = Number(option('--run-ms', 1000));
const jsonOut = option('--json', null);

// ---- json-rules-engine: all / any / not, one fact condition per atom.
const jreOps = { eq: 'equal', ne: 'notEqual', lt: 'lessThan', le: 'lessThanInclusive', gt: 'greaterThan', ge: 'greaterThanInclusive' };

function jreNode(node, types) {
  if (node.and) return { all: node.and.map((c) => jreNode(c, types)) };
  if (node.or) return { any: node.or.map((c) => jreNode(c, types)) };
  if (node.not) return { not: jreNode(node.not, types) };
  const fact = node.fact;
  if (node.is !== undefined) return { fact, operator: 'equal', value: node.is };
  if (node.cmp) return { fact, operator: jreOps[node.cmp], value: node.value };
  const values = node.any ?? node.all ?? node.none;
  if (types[fact] === 'enum') {
    // An enum holds one value: `any` is membership in the list, `none` its negation.
    if (node.all && values.length > 1) return { all: values.map((v) => ({ fact, operator: 'equal', value: v })) };
    if (node.none) return values.length === 1 ? { fact, operator: 'notEqual', value: values[0] } : { fact, operator: 'notIn', value: values };
    return values.length === 1 ? { fact, operator: 'equal', value: values[0] } : { fact, operator: 'in', value: values };
  }
  const each = (operator) => values.map((v) => ({ fact, operator, value: v }));
  if (node.none) return values.length === 1 ? each('doesNotContain')[0] : { all: each('doesNotContain') };
  if (values.length === 1) return each('contains')[0];
  return node.all ? { all: each('contains') } : { any: each('contains') };
}

function jreEngine(set, types) {
  const engine = new Engine([], { allowUndefinedFacts: false });
  for (const c of set.conditions) {
    let conditions = jreNode(c.when, types);
    if (!conditions.all && !conditions.any && !conditions.not) conditions = { all: [conditions] };  // the root must be a group
    engine.addRule({ name: c.id, conditions, event: { type: c.id } });
  }
  return async (intake) => (await engine.run(intake)).results.map((r) => r.event.type);
}

// ---- zen-engine: ZEN expressions, in a decision table (hit policy collect, one row per condition,
// one input column without a field so each cell is a whole expression) or in an expression node
// (one boolean per condition).
const zenCmp = { eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=' };
const quote = (v) => `'${v}'`;

function zenExpr(node, types) {
  if (node.and) return '(' + node.and.map((c) => zenExpr(c, types)).join(' and ') + ')';
  if (node.or) return '(' + node.or.map((c) => zenExpr(c, types)).join(' or ') + ')';
  if (node.not) return `not (${zenExpr(node.not, types)})`;
  const fact = node.fact;
  if (node.is !== undefined) return `${fact} == ${node.is}`;
  if (node.cmp) return `${fact} ${zenCmp[node.cmp]} ${node.value}`;
  const values = node.any ?? node.all ?? node.none;
  let test;
  if (types[fact] === 'enum') {
    test = node.all && values.length > 1 ? 'false' : `${fact} in [${values.map(quote).join(', ')}]`;
  } else {
    test = values.map((v) => `${quote(v)} in ${fact}`).join(node.all ? ' and ' : ' or ');
  }
  return node.none ? `not (${test})` : `(${test})`;
}

function zenGraph(content, type) {
  return {
    contentType: 'application/vnd.gorules.decision',
    nodes: [
      { id: 'in', type: 'inputNode', name: 'Request', position: { x: 0, y: 0 } },
      { id: 'rules', type, name: 'Rules', position: { x: 200, y: 0 }, content },
      { id: 'out', type: 'outputNode', name: 'Response', position: { x: 400, y: 0 } },
    ],
    edges: [
      { id: 'e1', type: 'edge', sourceId: 'in', targetId: 'rules' },
      { id: 'e2', type: 'edge', sourceId: 'rules', targetId: 'out' },
    ],
  };
}

function zenTable(zen, set, types) {
  const rules = set.conditions.map((c, i) => ({ _id: `row${i}`, when: zenExpr(c.when, types), fired: quote(c.id) }));
  const decision = zen.createDecision(zenGraph({
    hitPolicy: 'collect',
    inputs: [{ id: 'when', name: 'When', type: 'expression', field: '' }],
    outputs: [{ id: 'fired', name: 'Fired', type: 'expression', field: 'fired' }],
    rules,
  }, 'decisionTableNode'));
  return async (intake) => (await decision.evaluate(intake)).result.map((row) => row.fired);
}

function zenExpressions(zen, set, types) {
  const expressions = set.conditions.map((c, i) => ({ id: `x${i}`, key: c.id, value: zenExpr(c.when, types) }));
  const decision = zen.createDecision(zenGraph({ expressions }, 'expressionNode'));
  const ids = set.conditions.map((c) => c.id);
  return async (intake) => {
    const result = (await decision.evaluate(intake)).result;
    return ids.filter((id) => result[id] === true);
  };
}

// ---- the identity check and the timing.
async function check(name, set, decide) {
  for (let i = 0; i < set.intakes.length; ++i) {
    const got = [...(await decide(set.intakes[i]))].sort();
    const want = [...set.fired[i]].sort();
    if (got.length !== want.length || got.some((id, k) => id !== want[k])) {
      const missing = want.filter((id) => !got.includes(id)), extra = got.filter((id) => !want.includes(id));
      throw new Error(`${name}, ${set.path} ${set.rules}: intake ${i} fires differently from triage: ` +
                      `missing [${missing}] extra [${extra}]`);
    }
  }
}

async function time(set, decide) {
  for (const intake of set.intakes) await decide(intake);  // warm-up
  const perRun = [];
  for (let r = 0; r < runs; ++r) {
    let decisions = 0;
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(runMs) * 1000000n;
    let now = start;
    while (now < deadline) {
      for (const intake of set.intakes) await decide(intake);
      decisions += set.intakes.length;
      now = process.hrtime.bigint();
    }
    perRun.push(Number(now - start) / 1000 / decisions);
  }
  const sorted = [...perRun].sort((a, b) => a - b);
  return { us_per_decision: sorted[Math.floor(sorted.length / 2)], runs_us: perRun };
}

const files = fs.readdirSync(exportDir).filter((f) => /^(refer|plan)_\d+\.json$/.test(f))
  .sort((a, b) => {
    const [pa, na] = a.replace('.json', '').split('_'), [pb, nb] = b.replace('.json', '').split('_');
    return pa === pb ? Number(na) - Number(nb) : (pa === 'plan' ? -1 : 1);
  });
if (files.length === 0) throw new Error(`no exported sets in ${exportDir}`);
const zen = new ZenEngine();
const report = { node: process.version, runs, run_ms: runMs, sets: [] };
for (const file of files) {
  const set = JSON.parse(fs.readFileSync(path.join(exportDir, file), 'utf8'));
  const types = Object.fromEntries(set.facts.map((f) => [f.id, f.type]));
  const engines = {
    'json-rules-engine': jreEngine(set, types),
    'zen-engine (decision table, collect)': zenTable(zen, set, types),
    'zen-engine (expression node)': zenExpressions(zen, set, types),
  };
  const firedPerIntake = set.fired.reduce((n, f) => n + f.length, 0) / set.fired.length;
  const entry = { path: set.path, rules: set.rules, conditions: set.conditions.length, intakes: set.intakes.length,
                  fired_per_intake: firedPerIntake, ours_us: set.ours?.us_per_decision ?? null,
                  ours_from_raw_us: set.ours_from_raw?.us_per_decision ?? null,
                  ours_from_json_us: set.ours_from_json?.us_per_decision ?? null, engines: {} };
  for (const [name, decide] of Object.entries(engines)) {
    await check(name, set, decide);
    console.error(`${name}, ${set.path} ${set.rules}: fires the same ids as triage on all ${set.intakes.length} intakes`);
  }
  for (const [name, decide] of Object.entries(engines)) {
    const t = await time(set, decide);
    entry.engines[name] = { ...t, ratio: entry.ours_us ? t.us_per_decision / entry.ours_us : null };
    console.error(`${name}, ${set.path} ${set.rules}: ${t.us_per_decision.toFixed(1)} µs per decision`);
  }
  report.sets.push(entry);
}
// What a call costs apart from the rules: each engine on a one-condition ruleset over the same
// intakes (all 40 facts passed in), so a ratio's limit as the rules grow can be read off.
{
  const first = JSON.parse(fs.readFileSync(path.join(exportDir, files[0]), 'utf8'));
  const one = { ...first, conditions: [{ id: 'one', kind: 'rule', when: { fact: 'f0', is: true } }] };
  one.fired = one.intakes.map((intake) => (intake.f0 === true ? ['one'] : []));
  const types = Object.fromEntries(one.facts.map((f) => [f.id, f.type]));
  report.one_condition = {};
  for (const [name, decide] of Object.entries({
    'json-rules-engine': jreEngine(one, types),
    'zen-engine (decision table, collect)': zenTable(zen, one, types),
    'zen-engine (expression node)': zenExpressions(zen, one, types),
  })) {
    await check(name, one, decide);
    report.one_condition[name] = await time(one, decide);
  }
}
if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify(report, null, 2) + '\n');

const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const lines = [
  `Every engine fired exactly triage's set of red flags and rules on every one of the ${report.sets[0].intakes} intakes of every set.`,
  `Per decision, one at a time, median of ${runs} runs of ${runMs} ms (node ${process.version}); ` +
    'triage: evaluate() with the plan built (or the referral), measured by triage_peers_export in the same run.',
  '',
  '| path | rules | fired per intake | triage µs | engine | engine µs | engine / triage |',
  '|---|---|---|---|---|---|---|',
];
for (const s of report.sets) {
  for (const [name, e] of Object.entries(s.engines)) {
    lines.push(`| ${s.path} | ${s.rules} | ${s.fired_per_intake.toFixed(1)} | ${s.ours_us ? fmt(s.ours_us) : '-'} | ${name} | ` +
               `${fmt(e.us_per_decision)} | ${e.ratio ? fmt(e.ratio) + 'x' : '-'} |`);
  }
}
lines.push('', 'triage with the intake step, µs per decision (validate + evaluate from parsed answers / parse + ' +
  'validate + evaluate from the intake JSON text): ' + report.sets.filter((s) => s.ours_from_json_us)
  .map((s) => `${s.path} ${s.rules} ${fmt(s.ours_from_raw_us)} / ${fmt(s.ours_from_json_us)}`).join(', ') + '.');
lines.push('', 'One condition (what a call costs apart from the rules): ' + Object.entries(report.one_condition)
  .map(([name, t]) => `${name} ${fmt(t.us_per_decision)} µs`).join(', ') + '.');
console.log(lines.join('\n'));
