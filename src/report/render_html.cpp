// The report as one self-contained HTML page (report/render.hpp): inline CSS and SVG, no script, no
// web fonts, nothing fetched. Every chart has a title saying what it shows, labelled axes with
// units, a legend, and a table of the same numbers under it (for screen readers and for print).
// Series are told apart by pattern as well as colour (RdBu-based, colour-blind safe) so the page
// survives greyscale printing.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "report/render.hpp"

namespace triage::report {
namespace {

std::string esc(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string num(double value) {
  char out[32];
  std::snprintf(out, sizeof out, "%.1f", value);
  return out;
}

std::string with_commas(std::int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (n < 0 ? "-" : "") + out;
}

// A count cell as shown: the number or "<5".
std::string cell(const ReportOptions& o, std::int64_t n) {
  std::int64_t s = shown(o, n);
  return s < 0 ? "&lt;" + std::to_string(o.small_count) : with_commas(s);
}

std::string pct(const ReportOptions& o, std::int64_t x, std::int64_t n) {
  if (n <= 0 || shown(o, x) < 0 || shown(o, n) < 0) return "–";
  char out[32];
  std::snprintf(out, sizeof out, "%.1f%%", 100.0 * x / n);
  return out;
}

std::int64_t total(const Mix& mix) {
  std::int64_t sum = 0;
  for (auto n : mix) sum += n;
  return sum;
}

// A series' look: fill colour and pattern id (the <defs> in the page's first SVG).
struct Series {
  std::string name;
  std::string fill;  // "url(#p-…)" or a colour
};

// The five decision categories, most urgent first; each with its own pattern or lightness.
const std::vector<Series>& category_series() {
  static const std::vector<Series> series{{"Referral: emergency", "#b2182b"},
                                          {"Referral: urgent", "url(#p-urgent)"},
                                          {"Referral: routine", "url(#p-routine)"},
                                          {"Self-care plan", "#67a9cf"},
                                          {"Incomplete", "url(#p-incomplete)"}};
  return series;
}

// Red-flag decisions by the tier they ended at.
const std::vector<Series>& tier_series() {
  static const std::vector<Series> series{{"Emergency", "#b2182b"},
                                          {"Urgent", "url(#p-urgent)"},
                                          {"Routine", "url(#p-routine)"},
                                          {"No tier (incomplete or self-care)", "url(#p-incomplete)"}};
  return series;
}

// One series of plain bars (no legend needed).
std::vector<Series> single_series(const std::string& name) { return {{name, "#2166ac"}}; }

// The patterns, defined once in a hidden SVG at the top of the page.
const char* pattern_defs =
    "<svg width=\"0\" height=\"0\" aria-hidden=\"true\" focusable=\"false\" style=\"position:absolute\"><defs>"
    "<pattern id=\"p-urgent\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
    "<rect width=\"6\" height=\"6\" fill=\"#ef8a62\"/><rect width=\"2.5\" height=\"6\" fill=\"#7f2704\"/></pattern>"
    "<pattern id=\"p-routine\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\">"
    "<rect width=\"6\" height=\"6\" fill=\"#fddbc7\"/><circle cx=\"3\" cy=\"3\" r=\"1.3\" fill=\"#67001f\"/></pattern>"
    "<pattern id=\"p-incomplete\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\">"
    "<rect width=\"8\" height=\"8\" fill=\"#f0f0f0\"/><path d=\"M0 0L8 8M8 0L0 8\" stroke=\"#4d4d4d\" stroke-width=\"1\"/></pattern>"
    "</defs></svg>\n";

// A nice round axis maximum at or above `value`.
double nice_max(double value) {
  if (value <= 0) return 1;
  double scale = std::pow(10.0, std::floor(std::log10(value)));
  for (double step : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (value <= step * scale) return step * scale;
  }
  return 10 * scale;
}

std::string legend(const std::vector<Series>& series) {
  if (series.size() < 2) return "";
  std::string out = "<ul class=\"legend\">";
  for (const Series& s : series) {
    out += "<li><svg width=\"18\" height=\"14\" aria-hidden=\"true\" focusable=\"false\"><rect width=\"18\" height=\"14\" fill=\"" +
           s.fill + "\" stroke=\"#333\" stroke-width=\"0.5\"/></svg>" + esc(s.name) + "</li>";
  }
  return out + "</ul>";
}

// One bar of a stacked chart: its label and one value per series (-1: suppressed, not drawn).
struct Bar {
  std::string label;
  std::vector<std::int64_t> values;
};

thread_local int chart_counter = 0;  // unique SVG title ids within one page

// Vertical stacked bars (one per label along x), y in `y_unit`.
std::string vertical_chart(const std::string& title, const std::string& x_label, const std::string& y_label,
                           const std::vector<Series>& series, const std::vector<Bar>& bars) {
  const double width = 720, height = 300, left = 64, right = 12, top = 12, bottom = 58;
  const double plot_w = width - left - right, plot_h = height - top - bottom;
  double max = 0;
  for (const Bar& bar : bars) {
    std::int64_t sum = 0;
    for (auto v : bar.values) sum += std::max<std::int64_t>(v, 0);
    max = std::max(max, double(sum));
  }
  max = nice_max(max);
  std::string id = "chart-" + std::to_string(++chart_counter);
  std::string svg = "<svg viewBox=\"0 0 " + num(width) + " " + num(height) + "\" role=\"img\" aria-labelledby=\"" + id +
                    "-t\"><title id=\"" + id + "-t\">" + esc(title) + "</title>";
  // Grid lines and y ticks.
  for (int i = 0; i <= 4; ++i) {
    double value = max * i / 4, y = top + plot_h - plot_h * i / 4;
    svg += "<line x1=\"" + num(left) + "\" x2=\"" + num(width - right) + "\" y1=\"" + num(y) + "\" y2=\"" + num(y) +
           "\" stroke=\"#d0d0d0\" stroke-width=\"1\"/>";
    svg += "<text x=\"" + num(left - 6) + "\" y=\"" + num(y + 4) + "\" text-anchor=\"end\" class=\"tick\">" +
           with_commas(static_cast<std::int64_t>(std::llround(value))) + "</text>";
  }
  const double slot = bars.empty() ? plot_w : plot_w / bars.size();
  const double bar_w = std::max(1.0, slot * 0.8);
  const std::size_t label_every = std::max<std::size_t>(1, (bars.size() + 11) / 12);
  for (std::size_t b = 0; b < bars.size(); ++b) {
    double x = left + slot * b + (slot - bar_w) / 2, y = top + plot_h;
    for (std::size_t s = 0; s < series.size() && s < bars[b].values.size(); ++s) {
      std::int64_t v = bars[b].values[s];
      if (v <= 0) continue;
      double h = plot_h * v / max;
      y -= h;
      svg += "<rect x=\"" + num(x) + "\" y=\"" + num(y) + "\" width=\"" + num(bar_w) + "\" height=\"" + num(h) +
             "\" fill=\"" + series[s].fill + "\" stroke=\"#fff\" stroke-width=\"0.5\"/>";
    }
    if (b % label_every == 0) {
      svg += "<text x=\"" + num(left + slot * b + slot / 2) + "\" y=\"" + num(top + plot_h + 16) +
             "\" text-anchor=\"middle\" class=\"tick\">" + esc(bars[b].label) + "</text>";
    }
  }
  svg += "<line x1=\"" + num(left) + "\" x2=\"" + num(width - right) + "\" y1=\"" + num(top + plot_h) + "\" y2=\"" +
         num(top + plot_h) + "\" stroke=\"#333\"/>";
  svg += "<text x=\"" + num(left + plot_w / 2) + "\" y=\"" + num(height - 8) + "\" text-anchor=\"middle\" class=\"axis\">" +
         esc(x_label) + "</text>";
  svg += "<text transform=\"translate(14 " + num(top + plot_h / 2) + ") rotate(-90)\" text-anchor=\"middle\" class=\"axis\">" +
         esc(y_label) + "</text></svg>";
  return svg;
}

// Horizontal stacked bars (one row per label), x in `x_label`'s unit. With `per_mille`, values are
// shares in tenths of a percent and the axis and bar ends say percentages.
std::string horizontal_chart(const std::string& title, const std::string& x_label, const std::vector<Series>& series,
                             const std::vector<Bar>& bars, bool per_mille = false) {
  auto label = [per_mille](double value) {
    if (!per_mille) return with_commas(static_cast<std::int64_t>(std::llround(value)));
    return std::to_string(static_cast<std::int64_t>(std::llround(value / 10))) + "%";
  };
  const double width = 720, left = 250, right = 60, top = 8, row = 22, bottom = 44;
  const double plot_w = width - left - right, height = top + row * std::max<std::size_t>(bars.size(), 1) + bottom;
  double max = 0;
  for (const Bar& bar : bars) {
    std::int64_t sum = 0;
    for (auto v : bar.values) sum += std::max<std::int64_t>(v, 0);
    max = std::max(max, double(sum));
  }
  max = nice_max(max);
  std::string id = "chart-" + std::to_string(++chart_counter);
  std::string svg = "<svg viewBox=\"0 0 " + num(width) + " " + num(height) + "\" role=\"img\" aria-labelledby=\"" + id +
                    "-t\"><title id=\"" + id + "-t\">" + esc(title) + "</title>";
  const double plot_bottom = top + row * bars.size();
  for (int i = 0; i <= 4; ++i) {
    double x = left + plot_w * i / 4;
    svg += "<line x1=\"" + num(x) + "\" x2=\"" + num(x) + "\" y1=\"" + num(top) + "\" y2=\"" + num(plot_bottom) +
           "\" stroke=\"#d0d0d0\"/>";
    svg += "<text x=\"" + num(x) + "\" y=\"" + num(plot_bottom + 14) + "\" text-anchor=\"middle\" class=\"tick\">" +
           label(max * i / 4) + "</text>";
  }
  for (std::size_t b = 0; b < bars.size(); ++b) {
    double y = top + row * b + 3, x = left, h = row - 6;
    std::string name = bars[b].label.size() > 40 ? bars[b].label.substr(0, 39) + "…" : bars[b].label;
    svg += "<text x=\"" + num(left - 6) + "\" y=\"" + num(y + h - 4) + "\" text-anchor=\"end\" class=\"tick\">" +
           esc(name) + "</text>";
    std::int64_t sum = 0;
    bool hidden = false;
    for (std::size_t s = 0; s < series.size() && s < bars[b].values.size(); ++s) {
      std::int64_t v = bars[b].values[s];
      hidden = hidden || v < 0;
      if (v <= 0) continue;
      sum += v;
      double w = plot_w * v / max;
      svg += "<rect x=\"" + num(x) + "\" y=\"" + num(y) + "\" width=\"" + num(w) + "\" height=\"" + num(h) + "\" fill=\"" +
             series[s].fill + "\" stroke=\"#fff\" stroke-width=\"0.5\"/>";
      x += w;
    }
    svg += "<text x=\"" + num(x + 4) + "\" y=\"" + num(y + h - 4) + "\" class=\"tick\">" +
           (sum == 0 && hidden ? std::string("&lt;5") : label(double(sum))) + "</text>";
  }
  svg += "<text x=\"" + num(left + plot_w / 2) + "\" y=\"" + num(height - 8) + "\" text-anchor=\"middle\" class=\"axis\">" +
         esc(x_label) + "</text></svg>";
  return svg;
}

// A figure: heading, chart, legend, a note, and the table of its numbers.
std::string figure(const std::string& title, const std::string& svg, const std::vector<Series>& series,
                   const std::string& note, const std::string& table) {
  std::string out = "<figure class=\"chart\"><figcaption><h3>" + esc(title) + "</h3></figcaption>" + svg + legend(series);
  if (!note.empty()) out += "<p class=\"note\">" + note + "</p>";
  out += table + "</figure>\n";
  return out;
}

// A table: caption, header row, body rows (cells already HTML).
std::string table(const std::string& caption, const std::vector<std::string>& header,
                  const std::vector<std::vector<std::string>>& rows) {
  std::string out = "<table><caption>" + esc(caption) + "</caption><thead><tr>";
  for (std::size_t i = 0; i < header.size(); ++i) out += "<th scope=\"col\">" + esc(header[i]) + "</th>";
  out += "</tr></thead><tbody>";
  if (rows.empty()) out += "<tr><td colspan=\"" + std::to_string(header.size()) + "\">None in this period.</td></tr>";
  for (const auto& r : rows) {
    out += "<tr>";
    for (std::size_t i = 0; i < r.size(); ++i) {
      // Counts and shares line up on the right; words read from the left.
      bool numeric = !r[i].empty() && r[i].find_first_not_of("0123456789,.% ()&lt;–") == std::string::npos;
      out += i == 0 ? "<th scope=\"row\">" + r[i] + "</th>" : (numeric ? "<td class=\"n\">" : "<td>") + r[i] + "</td>";
    }
    out += "</tr>";
  }
  return out + "</tbody></table>";
}

template <typename Counts>
std::vector<std::pair<std::string, std::int64_t>> ranked(const Counts& counts, std::size_t limit) {
  std::vector<std::pair<std::string, std::int64_t>> out(counts.begin(), counts.end());
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  if (limit > 0 && out.size() > limit) out.resize(limit);
  return out;
}

std::vector<std::int64_t> shown_mix(const ReportOptions& o, const Mix& mix) {
  std::vector<std::int64_t> out;
  for (auto n : mix) out.push_back(shown(o, n));
  return out;
}

const char* css = R"css(
:root { color: #1a1a1a; background: #fff; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 11pt; line-height: 1.4;
  max-width: 190mm; margin: 1.5em auto; padding: 0 1em; }
h1 { font-size: 18pt; margin: 0 0 .2em; } h2 { font-size: 14pt; border-bottom: 2px solid #333; margin-top: 1.6em; }
h3 { font-size: 11.5pt; margin: 0 0 .4em; }
.meta { color: #333; margin: 0 0 1em; }
figure.chart { margin: 1em 0 1.6em; break-inside: avoid; page-break-inside: avoid; }
figure.chart > svg { width: 100%; height: auto; display: block; }
ul.legend svg { flex: none; }
svg text { font-family: inherit; fill: #1a1a1a; } svg .tick { font-size: 11px; } svg .axis { font-size: 12px; font-weight: bold; }
ul.legend { list-style: none; padding: 0; margin: .3em 0; display: flex; flex-wrap: wrap; gap: .3em 1.2em; font-size: 10pt; }
ul.legend li { display: flex; align-items: center; gap: .35em; }
table { border-collapse: collapse; margin: .6em 0; font-size: 9.5pt; width: 100%; }
caption { text-align: left; font-weight: bold; padding-bottom: .2em; }
th, td { border: 1px solid #999; padding: .15em .4em; text-align: left; vertical-align: top; }
td.n { text-align: right; white-space: nowrap; }
thead th { background: #e8e8e8; }
.status-ok { border-left: 6px solid #1a7f37; padding: .4em .8em; background: #f3f8f4; }
.status-bad { border-left: 6px solid #b2182b; padding: .4em .8em; background: #fbeeee; font-weight: bold; }
.anomaly { border-left: 6px solid #b2182b; padding: .3em .8em; margin: .4em 0; background: #fbeeee; }
.none { border-left: 6px solid #1a7f37; padding: .3em .8em; background: #f3f8f4; }
.note { font-size: 9.5pt; color: #333; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 9pt; word-break: break-all; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  table { break-inside: auto; } tr { break-inside: avoid; }
  .status-ok, .status-bad, .anomaly, .none, thead th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  figure.chart svg { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
)css";

}  // namespace

std::string render_html(const Figures& f, const std::string& generated_at) {
  chart_counter = 0;
  const ReportOptions& o = f.options;
  // Time buckets: days ("11-21") or hours ("11-21 08h").
  const std::string unit = o.per_hour ? "hour" : "day";
  const std::string time_axis = o.per_hour ? "Hour (UTC, month-day and hour)" : "Day (UTC, month-day)";
  auto bucket_label = [&](const std::string& bucket) {
    return o.per_hour ? bucket.substr(5, 5) + " " + bucket.substr(11, 2) + "h" : bucket.substr(5);
  };
  const Tally& t = f.tally;
  const std::int64_t decisions = total(t.totals);
  std::string h;
  h.reserve(1 << 16);
  h += "<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\">"
       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
       "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
       "<title>Triage monitoring report</title><style>";
  h += css;
  h += "</style></head><body>\n";
  h += pattern_defs;
  h += "<header><h1>Triage post-deployment monitoring report</h1><p class=\"meta\">";
  h += "Period: " + esc(o.from.empty() ? "start of the log" : o.from) + " to " + esc(o.to.empty() ? "end of the log" : o.to);
  h += ". Source: " + esc(f.source_kind == "postgresql" ? "the central PostgreSQL audit store" : "local audit log");
  if (!o.replica.empty()) h += ", replica " + esc(o.replica);
  h += ". Decisions in the period: " + with_commas(decisions);
  if (!t.first_at.empty()) h += " (first " + esc(t.first_at.substr(0, 16)) + "Z, last " + esc(t.last_at.substr(0, 16)) + "Z)";
  h += ".";
  if (!generated_at.empty()) h += " Generated " + esc(generated_at) + ".";
  h += o.show_small_counts ? " <strong>Small counts are shown (internal audit only).</strong>"
                           : " Counts from 1 to " + std::to_string(o.small_count - 1) + " are shown as &lt;" +
                                 std::to_string(o.small_count) + " and left out of the charts.";
  h += "</p></header><main>\n";

  // Anomalies first: what to look at.
  h += "<section aria-labelledby=\"s-anomalies\"><h2 id=\"s-anomalies\">What to look at</h2>";
  if (f.anomalies.empty()) {
    h += "<p class=\"none\">No anomaly rule fired for this period.</p>";
  } else {
    for (const Anomaly& a : f.anomalies) h += "<p class=\"anomaly\">" + esc(a.sentence) + "</p>";
  }
  h += "</section>\n";

  // Integrity.
  h += "<section aria-labelledby=\"s-integrity\"><h2 id=\"s-integrity\">1. Integrity of the audit log</h2>";
  {
    std::vector<std::vector<std::string>> rows;
    bool ok = true;
    for (const SourceIntegrity& s : f.integrity) {
      ok = ok && s.problem.empty();
      rows.push_back({esc(s.source), s.chain_ok ? "holds" : "<strong>BROKEN</strong>", with_commas(s.verified),
                      esc(s.checkpoint_status) + (s.checkpoints ? " (" + with_commas(s.checkpoints) + ")" : ""),
                      s.unsigned_tail ? with_commas(s.unsigned_tail) : "0",
                      s.signatures_ok ? "hold" : "<strong>BAD</strong>",
                      s.problem.empty() ? "–" : esc(s.problem)});
    }
    ok = ok && t.sequence_gaps == 0 && t.unreadable == 0;
    h += ok ? "<p class=\"status-ok\">Every hash chain holds and every stored ruleset matches its hash.</p>"
            : "<p class=\"status-bad\">Verification FAILED: see the table and “What to look at”.</p>";
    h += table("Verification per log or replica",
               {"Log or replica", "Hash chain", "Records verified", "Signed checkpoints", "Records after the last checkpoint",
                "Ruleset signatures", "Problem"},
               rows);
    h += "<p class=\"note\">Missing record numbers in the period: " + with_commas(t.sequence_gaps) +
         ". Records without a readable decision: " + with_commas(t.unreadable) + ".</p>";
    std::vector<std::vector<std::string>> rs;
    for (const RulesetInService& r : f.rulesets) {
      rs.push_back({esc(r.version.empty() ? "(unknown)" : r.version), "<code>" + esc(r.hash) + "</code>",
                    esc(r.status) + (r.approved_by.empty() ? ", not approved" : ", approved by " + esc(r.approved_by) + " on " + esc(r.approved_on)),
                    esc(r.signature) + (r.signer.empty() ? "" : " (" + esc(r.signer) + ")"), esc(r.stored_at),
                    esc(r.first_decision_at.substr(0, 10)) + " to " + esc(r.last_decision_at.substr(0, 10)),
                    cell(o, r.decisions)});
    }
    h += table("Rulesets in service in the period",
               {"Version", "Hash", "Status and approval", "Signature", "Loaded (stored in the log)", "Decided", "Decisions"},
               rs);
  }
  h += "</section>\n";

  // Decisions over time.
  h += "<section aria-labelledby=\"s-decisions\"><h2 id=\"s-decisions\">2. Decisions over time</h2>";
  {
    std::vector<Bar> bars;
    std::vector<std::vector<std::string>> rows;
    for (const auto& [day, mix] : t.by_day) {
      bars.push_back({bucket_label(day), shown_mix(o, mix)});
      std::vector<std::string> row{esc(day)};
      for (auto n : mix) row.push_back(cell(o, n));
      row.push_back(cell(o, total(mix)));
      row.push_back(pct(o, mix[static_cast<int>(Category::incomplete)], total(mix)));
      rows.push_back(row);
    }
    std::string title = "Decisions per " + unit + ", by outcome and urgency tier";
    h += figure(title, vertical_chart(title, time_axis, "Decisions per " + unit + " (count)", category_series(), bars),
                category_series(),
                "Incomplete decisions: " + cell(o, t.totals[static_cast<int>(Category::incomplete)]) + " of " +
                    with_commas(decisions) + " (" + pct(o, t.totals[static_cast<int>(Category::incomplete)], decisions) +
                    "). Kiosk flows (decisions sharing a session id): " + cell(o, f.flows) + ", of which " +
                    cell(o, f.flows_ended_incomplete) + " (" + pct(o, f.flows_ended_incomplete, f.flows) +
                    ") ended incomplete: the patient left before a result.",
                table("Decisions per " + unit,
                      {o.per_hour ? "Hour (UTC)" : "Day", "Emergency", "Urgent", "Routine", "Self-care", "Incomplete", "Total", "Incomplete share"}, rows));
    if (t.by_replica.size() > 1) {
      std::vector<Bar> rbars;
      std::vector<std::vector<std::string>> rrows;
      for (const auto& [replica, mix] : t.by_replica) {
        std::vector<std::int64_t> shares;
        std::int64_t n = total(mix);
        for (auto v : mix) shares.push_back(shown(o, v) < 0 || n == 0 ? -1 : std::llround(1000.0 * v / n));
        rbars.push_back({replica.empty() ? "(no replica id)" : replica, shares});
        std::vector<std::string> row{esc(replica)};
        for (auto v : mix) row.push_back(cell(o, v) + " (" + pct(o, v, n) + ")");
        row.push_back(cell(o, n));
        rrows.push_back(row);
      }
      std::string rtitle = "Outcome mix per replica (share of each replica's decisions)";
      h += figure(rtitle, horizontal_chart(rtitle, "Share of the replica's decisions (%)", category_series(), rbars, true),
                  category_series(), "",
                  table("Outcome mix per replica", {"Replica", "Emergency", "Urgent", "Routine", "Self-care", "Incomplete", "Total"},
                        rrows));
    }
  }
  h += "</section>\n";

  // Red flags.
  h += "<section aria-labelledby=\"s-flags\"><h2 id=\"s-flags\">3. Red flags fired</h2>";
  {
    std::vector<Bar> bars;
    std::vector<std::vector<std::string>> rows;
    for (const auto& [flag, n] : ranked(t.red_flags, 0)) {
      const auto& tiers = t.red_flags_by_tier.at(flag);
      bars.push_back({flag, {shown(o, tiers[3]), shown(o, tiers[2]), shown(o, tiers[1]), shown(o, tiers[0])}});
      rows.push_back({esc(flag), cell(o, tiers[3]), cell(o, tiers[2]), cell(o, tiers[1]), cell(o, tiers[0]), cell(o, n)});
    }
    std::string title = "Red flags fired, by flag and the tier the decision reached";
    h += figure(title, horizontal_chart(title, "Decisions in which the flag fired (count)", tier_series(), bars), tier_series(),
                "Decisions with at least one red flag: " + cell(o, t.with_red_flags) + " of " + with_commas(decisions) + ".",
                table("Red flags by tier", {"Red flag", "Emergency", "Urgent", "Routine", "No tier", "Total"}, rows));
    std::vector<Bar> dbars;
    for (const auto& [day, mix] : t.by_day) {
      auto it = t.red_flags_by_day.find(day);
      std::array<std::int64_t, 4> tiers{};
      if (it != t.red_flags_by_day.end()) tiers = it->second;
      dbars.push_back({bucket_label(day), {shown(o, tiers[3]), shown(o, tiers[2]), shown(o, tiers[1]), shown(o, tiers[0])}});
    }
    std::string dtitle = "Decisions with a red flag per " + unit + ", by tier";
    h += figure(dtitle, vertical_chart(dtitle, time_axis, "Decisions with a red flag (count)", tier_series(), dbars),
                tier_series(), "", "");
    std::vector<Bar> cbars;
    std::vector<std::vector<std::string>> crows;
    for (const auto& [combination, n] : ranked(t.flag_combinations, 10)) {
      cbars.push_back({combination, {shown(o, n)}});
      crows.push_back({esc(combination), cell(o, n)});
    }
    std::string ctitle = "The ten most frequent combinations of red flags fired together";
    h += figure(ctitle, horizontal_chart(ctitle, "Decisions (count)", single_series("Decisions"), cbars), {}, "",
                table("Red-flag combinations", {"Flags fired together", "Decisions"}, crows));
  }
  h += "</section>\n";

  // Self-care.
  h += "<section aria-labelledby=\"s-selfcare\"><h2 id=\"s-selfcare\">4. Self-care plans</h2>";
  {
    std::vector<Bar> bars;
    std::vector<std::vector<std::string>> rows;
    for (const auto& [technique, n] : ranked(t.techniques_given, 10)) {
      bars.push_back({technique, {shown(o, n)}});
      rows.push_back({esc(technique), cell(o, n), pct(o, n, t.self_care_plans)});
    }
    std::string title = "Techniques most often given in self-care plans (top 10)";
    h += figure(title, horizontal_chart(title, "Plans that included the technique (count)", single_series("Plans"), bars), {},
                "Self-care plans in the period: " + cell(o, t.self_care_plans) + ".",
                table("Techniques given", {"Technique", "Plans", "Share of plans"}, rows));
    std::vector<Bar> xbars;
    std::vector<std::vector<std::string>> xrows;
    for (const auto& [technique, n] : ranked(t.techniques_excluded, 10)) {
      xbars.push_back({technique, {shown(o, n)}});
      std::string why;
      auto it = t.exclusion_reasons.find(technique);
      if (it != t.exclusion_reasons.end()) {
        for (const auto& [rule, m] : ranked(it->second, 3)) {
          why += (why.empty() ? "" : ", ") + ("<code>" + esc(rule) + "</code> " + cell(o, m));
        }
      }
      xrows.push_back({esc(technique), cell(o, n), why.empty() ? "–" : why});
    }
    std::string xtitle = "Techniques most often excluded from plans (top 10)";
    h += figure(xtitle, horizontal_chart(xtitle, "Plans that excluded the technique (count)", single_series("Plans"), xbars), {},
                "Why: the rules (or the planner's limits, <code>plan:…</code>) that excluded each technique, most frequent first.",
                table("Techniques excluded and why", {"Technique", "Plans", "Most frequent reasons (rule id, count)"}, xrows));
  }
  h += "</section>\n";

  // Feedback.
  h += "<section aria-labelledby=\"s-feedback\"><h2 id=\"s-feedback\">5. Clinician feedback (CDS Hooks)</h2>";
  if (!f.feedback.available) {
    h += "<p>No clinician feedback was read for this report.</p>";
  } else {
    const auto& s = f.feedback.summary;
    std::vector<Bar> bars;
    std::vector<std::vector<std::string>> rows;
    for (const auto& [card, counts] : f.feedback.by_card) {
      bars.push_back({card, {shown(o, counts.first), shown(o, counts.second)}});
      rows.push_back({esc(card), cell(o, counts.first), cell(o, counts.second),
                      pct(o, counts.second, counts.first + counts.second)});
    }
    static const std::vector<Series> feedback_series{{"Accepted", "#67a9cf"},
                                                     {"Overridden", "url(#p-urgent)"}};
    std::string title = "Feedback per card type: accepted and overridden";
    h += figure(title, horizontal_chart(title, "Feedback entries (count)", feedback_series, bars), feedback_series,
                "Entries: " + cell(o, s.entries) + "; accepted " + cell(o, s.accepted) + " (" + pct(o, s.accepted, s.entries) +
                    "), overridden " + cell(o, s.overridden) + " (" + pct(o, s.overridden, s.entries) + "); on decisions not in this log: " +
                    cell(o, s.unmatched) + ". The card type is the decision's outcome.",
                table("Feedback per card type", {"Card type", "Accepted", "Overridden", "Override rate"}, rows));
    std::vector<std::vector<std::string>> reasons;
    for (const auto& [reason, n] : ranked(f.feedback.override_reasons, 0)) reasons.push_back({esc(reason), cell(o, n)});
    h += table("Override reasons", {"Reason", "Overrides"}, reasons);
    std::vector<std::vector<std::string>> per_rule;
    for (const RuleFeedback& r : s.rules) {
      if (per_rule.size() >= 15) break;
      per_rule.push_back({esc(r.kind == "red_flag" ? "red flag " + r.id : r.id), cell(o, r.accepted), cell(o, r.overridden),
                          pct(o, r.overridden, r.accepted + r.overridden)});
    }
    h += table("Most overridden rules and red flags (top 15)", {"Rule or red flag", "Accepted", "Overridden", "Override rate"},
               per_rule);
  }
  h += "</section>\n";

  // Drift.
  h += "<section aria-labelledby=\"s-drift\"><h2 id=\"s-drift\">6. Ruleset changes: outcome mix before and after</h2>";
  if (f.ruleset_changes.empty()) h += "<p>No ruleset change in the period.</p>";
  for (const RulesetChange& c : f.ruleset_changes) {
    std::vector<Bar> bars;
    for (const Mix* mix : {&c.before, &c.after}) {
      std::vector<std::int64_t> shares;
      std::int64_t n = total(*mix);
      for (auto v : *mix) shares.push_back(shown(o, v) < 0 || n == 0 ? -1 : std::llround(1000.0 * v / n));
      bars.push_back({(mix == &c.before ? "Before: " + c.from_version : "After: " + c.to_version), shares});
    }
    std::vector<std::vector<std::string>> rows;
    for (int k = 0; k < category_count; ++k) {
      rows.push_back({category_label(static_cast<Category>(k)),
                      cell(o, c.before[k]) + " (" + pct(o, c.before[k], total(c.before)) + ")",
                      cell(o, c.after[k]) + " (" + pct(o, c.after[k], total(c.after)) + ")"});
    }
    std::string title = "Outcome mix under ruleset " + c.from_version + " and under " + c.to_version;
    h += figure(title, horizontal_chart(title, "Share of the ruleset's decisions (%)", category_series(), bars, true),
                category_series(),
                std::string(c.shifted ? "<strong>The mix moved (see “What to look at”).</strong> " : "The mix did not move beyond the rule's thresholds. ") +
                    "First decision under " + esc(c.to_version) + ": " + esc(c.changed_at) + ".",
                table("Outcome mix before and after", {"Outcome", "Before (" + c.from_version + ")", "After (" + c.to_version + ")"}, rows));
  }
  h += "</section>\n";

  // Impact.
  h += "<section aria-labelledby=\"s-impact\"><h2 id=\"s-impact\">7. Impact of the candidate ruleset</h2>";
  if (!f.impact.requested) {
    h += "<p>No candidate ruleset was given (<code>--candidate DIR</code>).</p>";
  } else {
    const ImpactFigures& i = f.impact;
    std::vector<Bar> bars{{"More urgent tier", {shown(o, i.up)}},
                          {"Less urgent tier", {shown(o, i.down)}},
                          {"Same tier, details changed", {shown(o, i.same_tier)}},
                          {"Could not be re-decided", {shown(o, i.failed)}}};
    std::string title = "Logged decisions the candidate ruleset would change, by direction";
    std::vector<std::vector<std::string>> rows;
    for (const auto* list : {&i.up_examples, &i.down_examples}) {
      for (const auto& e : *list) rows.push_back({"<code>" + esc(e.decision_id) + "</code>", esc(e.decided_at), esc(e.transition)});
    }
    h += figure(title, horizontal_chart(title, "Decisions (count)", single_series("Decisions"), bars), {},
                "Replayed " + with_commas(i.replayed) + " decisions: " + cell(o, i.unchanged) + " unchanged, " +
                    cell(o, i.changed) + " changed, " + cell(o, i.failed) + " failed.",
                table("Examples (earliest first)", {"Decision", "Decided at", "Change"}, rows));
  }
  h += "</section>\n</main></body></html>\n";
  return h;
}

}  // namespace triage::report
