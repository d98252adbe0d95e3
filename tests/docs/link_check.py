#!/usr/bin/env python3
"""Every relative link in the README and the docs leads somewhere: the file exists and, for a
`#anchor` into a Markdown file, a heading with that GitHub anchor does.

usage: python3 link_check.py SOURCE_DIR

Checks README.md, BENCHMARKS.md, deploy/README.md and docs/*.md. Links inside code fences and
links to web addresses are not followed. Exit 0 when every link resolves; otherwise each broken
link is printed as FILE:LINE: TARGET (why) and the status is 1."""

import glob
import os
import re
import sys

LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchor(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors_of(path):
    found, fenced = set(), False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("```"):
                fenced = not fenced
            elif not fenced and line.startswith("#"):
                found.add(anchor(line.lstrip("#")))
    return found


def main():
    root = os.path.abspath(sys.argv[1])
    pages = [os.path.join(root, p) for p in ("README.md", "BENCHMARKS.md", "deploy/README.md")]
    pages += sorted(glob.glob(os.path.join(root, "docs", "*.md")))
    broken, checked = [], 0
    for page in pages:
        if not os.path.exists(page):
            broken.append("%s: missing" % os.path.relpath(page, root))
            continue
        fenced = False
        with open(page, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if line.startswith("```"):
                    fenced = not fenced
                    continue
                if fenced:
                    continue
                for target in LINK.findall(line):
                    if re.match(r"^[a-z]+:", target):
                        continue  # a web address
                    checked += 1
                    path, _, fragment = target.partition("#")
                    resolved = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
                    where = "%s:%d: %s" % (os.path.relpath(page, root), number, target)
                    if not os.path.exists(resolved):
                        broken.append(where + " (no such file)")
                    elif fragment and resolved.endswith(".md") and fragment not in anchors_of(resolved):
                        broken.append(where + " (no heading with that anchor)")
    for line in broken:
        print(line)
    print("%d relative links checked in %d pages, %d broken" % (checked, len(pages), len(broken)))
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
