#!/usr/bin/env python3
"""End to end in a real editor: Debian's Neovim (headless, its built-in LSP client) runs `triage lsp`
on a copy of the shipped rules with a deliberate mistake. The diagnostic must arrive at the right
line and column; hover and definition must answer; formatting the buffer must give what `triage fmt`
prints; with the mistake mended in the buffer (not on disk), a red flag's "Show a witness intake" lens
must give an intake that makes it fire, and the lenses of a .cases file must run its cases. Exit 77 (skipped) when nvim is not installed (tools/install-deps.sh installs it).

usage: nvim_e2e_test.py TRIAGE_BINARY SOURCE_DIR [TRANSCRIPT]
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile


CASES = """# e2e.cases: one case right, one wrong on purpose
case "saddle numbness is an emergency"
  answer saddle_numbness = true
  expect urgency emergency

case "saddle numbness is routine (wrong on purpose)"
  answer saddle_numbness = true
  expect urgency routine
"""
WITNESS_FLAG = "flag_saddle_numbness"


def code_lens_failures(result):
    """What is wrong with the code lenses Neovim saw and the results of running their commands."""
    failures = []
    lens = result.get("flag_lens") or {}
    if lens.get("title") != "Show a witness intake" or not str(lens.get("text", "")).startswith("red_flag " + WITNESS_FLAG):
        failures.append("the witness lens is not on its red flag: %s" % lens)
    # The rules on disk still have the misspelt fact; only the mended buffer loads.
    witness = result.get("witness") or {}
    case = str(witness.get("case", ""))
    if witness.get("status") != "fires" or "answer saddle_numbness = true" not in case or \
            "expect red_flag " + WITNESS_FLAG not in case:
        failures.append("Show a witness intake gave %s" % witness)
    expected_lenses = [{"line": 0, "title": "Run all tests in this file"}, {"line": 1, "title": "Run test"},
                       {"line": 5, "title": "Run test"}]
    if result.get("case_lenses") != expected_lenses:
        failures.append("the .cases lenses are %s, not %s" % (result.get("case_lenses"), expected_lenses))
        return failures
    runs = result.get("runs", [])
    counts = [(run.get("passed"), run.get("failed")) for run in runs]
    if counts != [(1, 1), (1, 0), (0, 1)]:
        failures.append("the lenses' runs counted (passed, failed) %s; runs: %s" % (counts, runs))
    elif "expected urgency routine, got emergency" not in runs[2]["cases"][0]["failures"][0]:
        failures.append("the failing case does not say expected and actual: %s" % runs[2])
    shown = [m.get("message", "") for m in result.get("messages", [])]
    if not any(m.startswith("PASS saddle numbness is an emergency") for m in shown) or \
            not any(m.startswith("FAIL saddle numbness is routine") for m in shown):
        failures.append("the messages shown were %s" % shown)
    return failures


def main():
    triage, source = os.path.abspath(sys.argv[1]), sys.argv[2]
    transcript = sys.argv[3] if len(sys.argv) > 3 else None
    nvim = shutil.which("nvim")
    if not nvim:
        print("nvim_e2e: nvim is not installed (apt-get install neovim); skipped")
        return 77
    work = tempfile.mkdtemp(prefix="triage-nvim-")
    try:
        rules = os.path.join(work, "rules")
        shutil.copytree(os.path.join(source, "rules"), rules, ignore=shutil.ignore_patterns("tests", "examples"))
        path = os.path.join(rules, "red_flags.rules")
        text = open(path, encoding="utf-8").read()
        # The deliberate mistake: a misspelt fact in a red flag's condition. The layout is spoiled
        # too (extra blank lines), so formatting has something to do.
        right = "red_flag flag_saddle_numbness: saddle_numbness -> refer emergency"
        wrong = "red_flag flag_saddle_numbness: sadle_numbness -> refer emergency"
        assert right in text, "the shipped red flag moved; update the test"
        broken = text.replace(right, wrong, 1).replace("\n\n" + wrong, "\n\n\n\n" + wrong, 1)
        open(path, "w", encoding="utf-8").write(broken)
        at = broken.index(wrong)
        line = broken.count("\n", 0, at)
        column = wrong.index("sadle_numbness")
        # Hover and definition on a fact the next red flag reads.
        hover_at = broken.index("red_flag flag_sexual_function_change: sexual_function_change")
        hover_line = broken.count("\n", 0, hover_at)
        hover_col = len("red_flag flag_sexual_function_change: ") + 3

        # A .cases file beside the rules: one case right, one wrong, for the code lenses.
        os.makedirs(os.path.join(rules, "tests"))
        cases_path = os.path.join(rules, "tests", "e2e.cases")
        open(cases_path, "w", encoding="utf-8").write(CASES)

        result_path = os.path.join(work, "result.json")
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nvim_e2e.lua")
        env = dict(os.environ, TRIAGE=triage, RULE_FILE=path, CASES_FILE=cases_path, WITNESS_FLAG=WITNESS_FLAG, HOVER_LINE=str(hover_line), HOVER_COL=str(hover_col),
                   RESULT=result_path, HOME=work, XDG_STATE_HOME=work, XDG_DATA_HOME=work, XDG_CONFIG_HOME=work)
        run = subprocess.run([nvim, "--headless", "--clean", "-c", "luafile " + script], env=env, cwd=work,
                             stdin=subprocess.DEVNULL, capture_output=True, timeout=90)
        if not os.path.exists(result_path):
            print("nvim wrote no result; exit", run.returncode, run.stdout.decode(), run.stderr.decode())
            return 1
        result = json.load(open(result_path, encoding="utf-8"))
        failures = []
        if "error" in result:
            failures.append("nvim: " + result["error"])
        diagnostics = result.get("diagnostics", [])
        hits = [d for d in diagnostics if d["lnum"] == line and d["col"] == column]
        if not hits:
            failures.append("no diagnostic at %d:%d; got %s" % (line, column, diagnostics))
        elif "sadle_numbness" not in hits[0]["message"] or "saddle_numbness" not in hits[0]["message"]:
            failures.append("the diagnostic does not name the fact and the fix: " + hits[0]["message"])
        elif hits[0]["end_col"] != column + len("sadle_numbness"):
            failures.append("the range does not cover the name: %s" % hits[0])
        hover = result.get("hover") or ""
        for words in ("**fact** `sexual_function_change`: bool", "**Question:**"):
            if words not in hover:
                failures.append("hover lacks %r: %r" % (words, hover))
        definition = result.get("definition") or {}
        if not str(definition.get("uri", "")).endswith("/rules/facts.rules"):
            failures.append("definition is not in facts.rules: %s" % definition)
        else:
            facts = open(os.path.join(rules, "facts.rules"), encoding="utf-8").read().split("\n")
            start = definition["range"]["start"]
            if not facts[start["line"]][start["character"]:].startswith("sexual_function_change"):
                failures.append("definition points at %r" % facts[start["line"]])
        fmt = subprocess.run([triage, "fmt", path], capture_output=True, timeout=30)
        if fmt.returncode != 0:
            failures.append("triage fmt failed: " + fmt.stderr.decode())
        elif result.get("formatted") != fmt.stdout.decode():
            failures.append("the formatted buffer differs from `triage fmt`")
        elif result["formatted"] == broken:
            failures.append("formatting changed nothing")
        failures += code_lens_failures(result)
        if transcript and hits:
            # What the author sees, as text: the lines, then the diagnostic Neovim shows for them.
            screen = result["screen"]
            with open(transcript, "w", encoding="utf-8") as out:
                for i, text_line in enumerate(screen["lines"]):
                    number = screen["first_line"] + i + 1
                    out.write("%4d  %s\n" % (number, text_line))
                    if number - 1 == line:
                        message = hits[0]["message"].split("\n")
                        out.write("      %s%s E %s\n" % (" " * column, "^" * len("sadle_numbness"), message[0]))
                        for more in message[1:]:
                            out.write("      %s%s   %s\n" % (" " * column, " " * len("sadle_numbness"), more))
                out.write("\nhover on sexual_function_change:\n" + hover)
        if failures:
            for failure in failures:
                print("FAIL:", failure)
            return 1
        print("nvim_e2e: diagnostic at %d:%d, hover, definition, formatting and code lenses as expected" % (line + 1, column + 1))
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
