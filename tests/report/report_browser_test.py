#!/usr/bin/env python3
"""`triage audit report` end to end, its HTML page opened in a real headless Chromium.

usage: report_browser_test.py TRIAGE_BINARY TRIAGE_TESTS SOURCE_DIR

Writes the report fixture (three replicas, an edited record, a ruleset change, an emergency spike
day and a drifting replica; tests/report/report_fixture.cpp) through `triage_tests
"[.report-fixture]"`, runs `triage audit report --log … --html … --json …` on it, then opens the
page in Debian's chromium (chromium-driver, python3-selenium, as the kiosk test does) and checks:
no console errors, no network request at all (the page is one file), every chart present with its
title and a y- or x-axis label (the candidate-impact section included), axe-core (WCAG 2.1 A/AA)
finds nothing, and it prints to a PDF on A4.
Screenshots (colour and greyscale), the PDF, the HTML and the JSON are kept in TRIAGE_SCREENSHOTS
(the build folder's report_screenshots/) as test artefacts. Exit 0 when every check holds.
"""

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
import interop_common as common  # noqa: E402

common.require_module("selenium", "python3-selenium")

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.print_page_options import PrintOptions  # noqa: E402

from interop_common import Checks, Failure, log  # noqa: E402

SHOTS = os.environ.get("TRIAGE_SCREENSHOTS") or os.path.join(os.getcwd(), "report_screenshots")

# Every chart the fixture's report must draw (titles as the page says them).
CHARTS = [
    "Decisions per day, by outcome and urgency tier",
    "Outcome mix per replica (share of each replica's decisions)",
    "Red flags fired, by flag and the tier the decision reached",
    "Decisions with a red flag per day, by tier",
    "The ten most frequent combinations of red flags fired together",
    "Techniques most often given in self-care plans (top 10)",
    "Techniques most often excluded from plans (top 10)",
    "Feedback per card type: accepted and overridden",
    "Outcome mix under ruleset 9.0.0 and under 9.1.0",
    "Logged decisions the candidate ruleset would change, by direction",
]


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1280,1000", "--no-proxy-server", "--disable-extensions", "--lang=en-GB",
                 "--allow-file-access-from-files"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def axe_violations(driver, source_dir):
    path = os.path.join(source_dir, ".deps", "axe-core", "axe.min.js")
    if not os.path.exists(path):
        raise Failure("axe-core is missing: run tools/install-deps.sh (it puts it in .deps/axe-core)")
    driver.execute_script(open(path).read())
    driver.set_script_timeout(60)
    return driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})"
        ".then(r => done(r.violations.map(v => v.id + ': ' + v.nodes.length + ' ' +"
        " v.nodes.slice(0, 2).map(n => n.target.join(' ')).join(' | '))), e => done(['axe failed: ' + e]));")


def requests_made(driver, page_url):
    """URLs the page asked for, from Chromium's performance log (the page itself excluded)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            if url != page_url and not url.startswith("data:"):
                urls.append(url)
    return urls


def full_screenshot(driver, path):
    height = driver.execute_script("return Math.max(document.body.scrollHeight, 1000)")
    driver.set_window_size(1280, min(height + 120, 16000))
    driver.save_screenshot(path)
    driver.set_window_size(1280, 1000)
    log("screenshot " + path)


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    binary, tests_binary, source_dir = sys.argv[1:4]
    checks = Checks()
    os.makedirs(SHOTS, exist_ok=True)
    work = tempfile.mkdtemp(prefix="triage-report-browser-")
    try:
        env = dict(os.environ, TRIAGE_REPORT_FIXTURE=work, TRIAGE_REPORT_TAMPER="1")
        made = subprocess.run([tests_binary, "[.report-fixture]"], cwd=source_dir, env=env, capture_output=True,
                              text=True, timeout=common.scaled(120))
        if made.returncode != 0:
            raise Failure("writing the fixture failed:\n" + made.stdout + made.stderr)
        html_path, json_path = os.path.join(work, "report.html"), os.path.join(work, "report.json")
        logs = [os.path.join(work, "replica-%s.db" % r) for r in "abc"]
        run = subprocess.run([binary, "audit", "report", "--log", logs[0], "--log", logs[1], "--log", logs[2],
                              "--html", html_path, "--json", json_path,
                              # The shipped rules as the candidate: the fixture's synthetic records do
                              # not replay, so every one lands in "could not be re-decided".
                              "--candidate", os.path.join(source_dir, "rules")], capture_output=True, text=True,
                             timeout=common.scaled(120))
        checks.check(run.returncode == 1, "the report over a tampered log exits 1", run.stdout + run.stderr)
        checks.check("VERIFICATION FAILED" in run.stderr and "replica-a.db" in run.stderr,
                     "and says which log failed verification", run.stderr)
        figures = json.load(open(json_path))
        rules = [(a["rule"], a["subject"]) for a in figures["anomalies"]]
        checks.check(rules == [("integrity", logs[0]), ("ruleset_change", "9.0.0 -> 9.1.0"),
                               ("emergency_day", "2026-11-03"), ("replica_drift", "replica-c")],
                     "the command's JSON flags exactly the planted problems", str(rules))
        checks.check(figures["impact"]["replayed"] == 1200 and figures["impact"]["failed"] == 1200,
                     "the candidate was replayed over every decision", str(figures["impact"])[:300])
        shutil.copy(html_path, os.path.join(SHOTS, "report.html"))
        shutil.copy(json_path, os.path.join(SHOTS, "report.json"))

        driver = browser()
        try:
            url = "file://" + html_path
            driver.get(url)
            checks.check(driver.title == "Triage monitoring report", "the page loads with its title", driver.title)
            errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
            checks.check(not errors, "no console errors", str(errors))
            fetched = requests_made(driver, url)
            checks.check(not fetched, "no network requests (everything is inline)", str(fetched))
            titles = [t.get_attribute("textContent") for t in driver.find_elements(By.CSS_SELECTOR, "svg[role=img] > title")]
            checks.check(titles == CHARTS, "every chart is present with its title, in order", str(titles))
            for svg in driver.find_elements(By.CSS_SELECTOR, "figure.chart svg[role=img]"):
                size = svg.size
                checks.check(size["width"] > 300 and size["height"] > 80, "chart is drawn at a readable size",
                             str(size))
                axis = svg.find_elements(By.CSS_SELECTOR, "text.axis")
                checks.check(axis and all("(" in a.get_attribute("textContent") for a in axis),
                             "chart has an axis label with its unit in brackets",
                             svg.find_element(By.CSS_SELECTOR, "title").get_attribute("textContent"))
            bars = driver.find_elements(By.CSS_SELECTOR, "figure.chart svg rect")
            checks.check(len(bars) > 50, "the charts have bars", str(len(bars)))
            anomalies = [p.text for p in driver.find_elements(By.CSS_SELECTOR, "p.anomaly")]
            checks.check(len(anomalies) == 4 and "replica-c" in anomalies[3], "four anomalies in plain sentences",
                         "\n".join(anomalies))
            violations = axe_violations(driver, source_dir)
            checks.check(not violations, "axe-core finds no WCAG 2.1 A/AA violation", str(violations))
            full_screenshot(driver, os.path.join(SHOTS, "report.png"))
            driver.set_window_size(1000, 1400)  # the top of the page, as docs/safety-report.md shows it
            driver.save_screenshot(os.path.join(SHOTS, "report_top.png"))
            driver.set_window_size(1280, 1000)
            for n, chart in enumerate(driver.find_elements(By.CSS_SELECTOR, "figure.chart"), 1):
                driver.execute_script("arguments[0].scrollIntoView()", chart)
                chart.screenshot(os.path.join(SHOTS, "chart_%02d.png" % n))
            driver.execute_script("document.documentElement.style.filter = 'grayscale(1)'")
            driver.execute_script("window.scrollTo(0, 0)")
            driver.find_element(By.CSS_SELECTOR, "figure.chart").screenshot(os.path.join(SHOTS, "chart_01_greyscale.png"))
            full_screenshot(driver, os.path.join(SHOTS, "report_greyscale.png"))
            driver.execute_script("document.documentElement.style.filter = ''")
            options = PrintOptions()
            options.page_width = 21.0
            options.page_height = 29.7
            options.background = True
            pdf = base64.b64decode(driver.print_page(options))
            pdf_path = os.path.join(SHOTS, "report.pdf")
            with open(pdf_path, "wb") as out:
                out.write(pdf)
            pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
            checks.check(pdf.startswith(b"%PDF") and len(pdf) > 20000, "the page prints to a PDF", pdf_path)
            checks.check(2 <= pages <= 20 if pages > 0 else True, "on a sensible number of A4 pages", str(pages))
            log("printed %s (%d bytes)" % (pdf_path, len(pdf)))
            errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
            checks.check(not errors, "still no console errors after printing", str(errors))
        finally:
            driver.quit()
    except Failure as failure:
        checks.check(False, str(failure))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log("%d checks passed, %d failed" % (checks.passed, len(checks.failures)))
    return 1 if checks.failures else 0


if __name__ == "__main__":
    sys.exit(main())
