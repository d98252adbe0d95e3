#!/usr/bin/env python3
"""End to end in a real editor: Debian's Neovim (headless, its built-in LSP client) runs `triage lsp`
on a copy of the shipped rules with a deliberate mistake. The diagnostic must arrive at the right
line and column; hover and definition must answer; formatting the buffer must give what `triage fmt`
prints. Exit 77 (skipped) when nvim is not installed (tools/install-deps.sh installs it).

usage: nvim_e2e_test.py TRIAGE_BINARY SOURCE_DIR [TRANSCRIPT]
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile


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

        result_path = os.path.join(work, "result.json")
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nvim_e2e.lua")
        env = dict(os.environ, TRIAGE=triage, RULE_FILE=path, HOVER_LINE=str(hover_line), HOVER_COL=str(hover_col),
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
        print("nvim_e2e: diagnostic at %d:%d, hover, definition and formatting as expected" % (line + 1, column + 1))
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
