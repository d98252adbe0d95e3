#pragma once
// The report's two forms: JSON for other tools and one self-contained HTML page for people (inline
// SVG charts and CSS, no script, nothing fetched, printable on A4). Both show the figures exactly as
// computed, small counts already suppressed by report::shown, so the two never disagree.
#include <string>

#include "report/figures.hpp"

namespace triage::report {

// The figures as JSON (2-space indented, keys in a fixed order, lists in a fixed order; a
// suppressed count is null). Bump `schema` in it when a field changes meaning.
std::string render_json(const Figures& figures);

// The figures as one HTML document. `generated_at` is printed in the header (empty: left out, so
// a test can compare pages).
std::string render_html(const Figures& figures, const std::string& generated_at);

}  // namespace triage::report
