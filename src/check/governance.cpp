#include "check/governance.hpp"

#include <algorithm>
#include <chrono>
#include <map>

#include "diag/codes.hpp"
#include "model/version.hpp"
#include "util/suggest.hpp"

namespace triage {
namespace check {

std::optional<long> parse_date(const std::string& text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  int y = std::stoi(text.substr(0, 4));
  unsigned m = static_cast<unsigned>(std::stoi(text.substr(5, 2)));
  unsigned d = static_cast<unsigned>(std::stoi(text.substr(8, 2)));
  std::chrono::year_month_day date{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  if (!date.ok()) return std::nullopt;
  return static_cast<long>(std::chrono::sys_days{date}.time_since_epoch().count());
}

namespace {

std::vector<std::string> words(const auto& table) {
  std::vector<std::string> list;
  for (auto word : table) list.emplace_back(word);
  return list;
}

std::string joined(const auto& table) {
  std::string text;
  for (auto word : table) text += (text.empty() ? "" : ", ") + std::string(word);
  return text;
}

// A date property: empty when absent; an error when not a real YYYY-MM-DD date.
std::string date_of(Context& context, const SourceFile* file, const Properties& properties, const char* key) {
  const ast::Property* property = properties.find(key);
  if (property == nullptr || property->strings.empty()) return {};
  const auto& text = property->strings.front();
  if (!parse_date(text.text)) {
    context.error(code::invalid_property, {file, text.offset}, std::string("`") + key + "` must be a date written YYYY-MM-DD, not \"" +
                                           text.text + "\"");
    return {};
  }
  return text.text;
}

std::string status_of(Context& context, const SourceFile* file, const Properties& properties) {
  const ast::Property* property = properties.find("status");
  if (property == nullptr) return {};
  const auto& name = property->names.front();
  if (property->names.size() > 1) context.error(code::invalid_property, {file, property->names[1].offset}, "`status` is one word");
  if (std::find(language::status_names.begin(), language::status_names.end(), name.name) ==
      language::status_names.end()) {
    context.error(code::invalid_property, {file, name.offset}, "unknown status `" + name.name + "`",
                  suggest_or_list(name.name, words(language::status_names)));
    return {};
  }
  return name.name;
}

// `initial_risk SEVERITY, LIKELIHOOD` on the DCB0129 matrix.
model::Risk risk_of(Context& context, const SourceFile* file, const Properties& properties, const char* key) {
  model::Risk risk;
  const ast::Property* property = properties.find(key);
  if (property == nullptr) return risk;
  if (property->names.size() != 2) {
    context.error(code::invalid_property, {file, property->offset}, std::string("`") + key + "` is a severity and a likelihood",
                  std::string("for example `") + key + " major, low`; severity: " + joined(language::severity_names) +
                      "; likelihood: " + joined(language::likelihood_names));
    return risk;
  }
  auto index = [&](const ast::Identifier& name, const auto& table, const char* what) -> int {
    auto it = std::find(table.begin(), table.end(), name.name);
    if (it != table.end()) return static_cast<int>(it - table.begin());
    context.error(code::invalid_property, {file, name.offset}, std::string("unknown ") + what + " `" + name.name + "`",
                  suggest_or_list(name.name, words(table)));
    return -1;
  };
  int severity = index(property->names[0], language::severity_names, "severity");
  int likelihood = index(property->names[1], language::likelihood_names, "likelihood");
  if (severity < 0 || likelihood < 0) return risk;
  return {severity, likelihood, language::risk_matrix[likelihood][severity]};
}

template <typename Decl>
struct Located {
  const SourceFile* file;
  const Decl* decl;
};

void check_header(Context& context, const std::vector<Located<ast::RulesetDecl>>& headers) {
  if (headers.empty()) return;
  for (std::size_t i = 1; i < headers.size(); ++i) {
    auto first = context.locate({headers.front().file, headers.front().decl->offset});
    context.error(code::duplicate_declaration, {headers[i].file, headers[i].decl->offset}, "a ruleset has one `ruleset` header; this is a second",
                  "the first is at " + first.file + ":" + std::to_string(first.line));
  }
  const SourceFile* file = headers.front().file;
  const auto& decl = *headers.front().decl;
  Properties properties(decl.properties, language::Decl::ruleset, context, file, decl.offset, "the ruleset header");
  auto& header = context.ruleset.header;
  header.declared = true;
  header.location = context.locate({file, decl.offset});
  header.title = properties.text("title");
  header.version = properties.text("version");
  if (const auto* version = properties.find("version"); version != nullptr && !model::is_semantic_version(header.version)) {
    context.error(code::invalid_property, {file, version->strings.front().offset},
                  "`version` must be a semantic version MAJOR.MINOR.PATCH, not \"" + header.version + "\"",
                  "for example \"2.0.0\" or \"2.1.0-rc.1\"");
  }
  header.status = status_of(context, file, properties);
  header.approved_by = properties.text("approved_by");
  header.approver_role = properties.text("approver_role");
  header.approved_on = date_of(context, file, properties, "approved_on");
  header.review_due = date_of(context, file, properties, "review_due");
  header.effective_from = date_of(context, file, properties, "effective_from");
  header.effective_until = date_of(context, file, properties, "effective_until");
  if (!header.effective_from.empty() && !header.effective_until.empty() &&
      *parse_date(header.effective_until) < *parse_date(header.effective_from)) {
    context.error(code::invalid_property, {file, properties.find("effective_until")->offset},
                  "`effective_until` " + header.effective_until + " is before `effective_from` " +
                      header.effective_from);
  }
  if (header.status == "production" && header.approved_by.empty()) {
    context.error(code::missing_property, {file, decl.offset}, "a `production` ruleset names who approved it",
                  "add `approved_by`, `approver_role` and `approved_on`, or set `status testing`");
  }
}

void check_sources(Context& context, const std::vector<Located<ast::SourceDecl>>& sources) {
  std::map<std::string, SourceLocation> seen;
  for (const auto& [file, decl] : sources) {
    auto location = context.locate({file, decl->id.offset});
    auto [it, inserted] = seen.emplace(decl->id.text, location);
    if (!inserted) {
      context.error(code::duplicate_name, {file, decl->id.offset}, "duplicate source id \"" + decl->id.text + "\"",
                    "the first is at " + it->second.file + ":" + std::to_string(it->second.line) + ":" +
                        std::to_string(it->second.column));
      continue;
    }
    std::string what = "source \"" + decl->id.text + "\"";
    if (decl->id.text.find_first_not_of(" \t") == std::string::npos) {
      context.error(code::empty_property, {file, decl->id.offset}, "a source id must not be empty");
    }
    Properties properties(decl->properties, language::Decl::source, context, file, decl->id.offset, what);
    model::Source source{decl->id.text, properties.text("title"), properties.text("url"), properties.text("document"),
                         location};
    if (properties.find("url") == nullptr && properties.find("document") == nullptr) {
      context.error(code::missing_property, {file, decl->id.offset}, what + " has neither `url` nor `document`",
                    "say where it can be read: `url \"https://...\"` or `document \"title, edition, page\"`");
    }
    if (const auto* url = properties.find("url");
        url != nullptr && source.url.rfind("https://", 0) != 0 && source.url.rfind("http://", 0) != 0) {
      context.error(code::invalid_property, {file, url->strings.front().offset}, "the `url` of " + what + " must start with https://");
    }
    context.ruleset.sources.push_back(std::move(source));
  }
}

void check_hazards(Context& context, const std::vector<Located<ast::HazardDecl>>& hazards) {
  auto& ruleset = context.ruleset;
  std::map<std::string, int> flags, rules, hazard_index;
  for (std::size_t i = 0; i < ruleset.red_flags.size(); ++i) flags.emplace(ruleset.red_flags[i].id, static_cast<int>(i));
  for (std::size_t i = 0; i < ruleset.rules.size(); ++i) rules.emplace(ruleset.rules[i].id, static_cast<int>(i));
  for (const auto& [file, decl] : hazards) {
    auto [it, inserted] = hazard_index.emplace(decl->name.name, static_cast<int>(ruleset.hazards.size()));
    std::string key = "hazard:" + decl->name.name;
    if (!inserted) {
      const auto& first = context.declared_at[key];
      context.error(code::duplicate_name, {file, decl->name.offset}, "duplicate hazard id `" + decl->name.name + "`",
                    "the first is at " + first.file + ":" + std::to_string(first.line) + ":" +
                        std::to_string(first.column));
      continue;
    }
    context.declared_at[key] = context.locate({file, decl->name.offset});
    std::string what = "hazard `" + decl->name.name + "`";
    Properties properties(decl->properties, language::Decl::hazard, context, file, decl->name.offset, what);
    model::Hazard hazard;
    hazard.id = decl->name.name;
    hazard.location = context.locate({file, decl->name.offset});
    hazard.description = properties.text("description");
    hazard.cause = properties.text("cause");
    hazard.harm = properties.text("harm");
    hazard.initial_risk = risk_of(context, file, properties, "initial_risk");
    hazard.residual_risk = risk_of(context, file, properties, "residual_risk");
    if (hazard.initial_risk.rating > 0 && hazard.residual_risk.rating > hazard.initial_risk.rating) {
      context.error(code::invalid_property, {file, properties.find("residual_risk")->offset},
                    "the residual risk of " + what + " (" + std::to_string(hazard.residual_risk.rating) +
                        ") is higher than its initial risk (" + std::to_string(hazard.initial_risk.rating) + ")",
                    "controls lower a risk; check the severity and likelihood");
    }
    if (const auto* controls = properties.find("controls")) {
      for (const auto& name : controls->names) {
        if (auto flag = flags.find(name.name); flag != flags.end()) {
          hazard.controls.push_back({model::Control::Kind::red_flag, flag->second});
        } else if (auto rule = rules.find(name.name); rule != rules.end()) {
          hazard.controls.push_back({model::Control::Kind::rule, rule->second});
        } else {
          std::vector<std::string> ids;
          for (const auto& [id, index] : flags) ids.push_back(id);
          for (const auto& [id, index] : rules) ids.push_back(id);
          context.error(code::unknown_control, {file, name.offset}, "unknown red flag or rule `" + name.name + "` in the controls of " + what,
                        suggest_or_list(name.name, ids));
        }
      }
    }
    ruleset.hazards.push_back(std::move(hazard));
  }
}

// Once any source is declared, every string in a `sources` property must name one.
void check_citations(Context& context, const std::vector<ParsedFile>& files) {
  if (context.ruleset.sources.empty()) return;
  std::vector<std::string> ids;
  for (const auto& source : context.ruleset.sources) ids.push_back(source.id);
  for (const auto& file : files) {
    for (const auto& declaration : file.ast.declarations) {
      std::visit(
          [&](const auto& decl) {
            if constexpr (requires { decl.properties; }) {
              for (const auto& property : decl.properties) {
                if (property.key != "sources") continue;
                for (const auto& cited : property.strings) {
                  if (std::find(ids.begin(), ids.end(), cited.text) != ids.end()) continue;
                  std::string hint = closest_match(cited.text, ids);
                  context.error(code::unknown_source, {file.source, cited.offset}, "unknown source \"" + cited.text + "\"",
                                hint.empty() ? "declare it: source \"" + cited.text + "\" title \"...\" url \"...\""
                                             : "did you mean \"" + hint + "\"? Or declare it with `source`");
                }
              }
            }
          },
          declaration);
    }
  }
}

}  // namespace

model::RuleMeta rule_meta(Context& context, const SourceFile* file, const Properties& properties) {
  return {properties.text("author"), date_of(context, file, properties, "reviewed"),
          status_of(context, file, properties)};
}

void check_governance(Context& context, const std::vector<ParsedFile>& files) {
  std::vector<Located<ast::RulesetDecl>> headers;
  std::vector<Located<ast::SourceDecl>> sources;
  std::vector<Located<ast::HazardDecl>> hazards;
  for (const auto& file : files) {
    for (const auto& declaration : file.ast.declarations) {
      if (const auto* header = std::get_if<ast::RulesetDecl>(&declaration)) headers.push_back({file.source, header});
      if (const auto* source = std::get_if<ast::SourceDecl>(&declaration)) sources.push_back({file.source, source});
      if (const auto* hazard = std::get_if<ast::HazardDecl>(&declaration)) hazards.push_back({file.source, hazard});
    }
  }
  check_header(context, headers);
  check_sources(context, sources);
  check_hazards(context, hazards);
  check_citations(context, files);
}

}  // namespace check

std::string_view risk_severity_name(const model::Risk& risk) { return language::severity_names[risk.severity]; }

std::string_view risk_likelihood_name(const model::Risk& risk) { return language::likelihood_names[risk.likelihood]; }

long today_utc() {
  auto now = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  return static_cast<long>(now.time_since_epoch().count());
}

Diagnostics governance_review(const model::Ruleset& ruleset, const GovernanceOptions& options) {
  Diagnostics out;
  const Severity strict = options.release ? Severity::error : Severity::warning;
  auto add = [&](std::string_view code, Severity severity, SourceLocation location, std::string message,
                 std::string hint = {}) {
    out.push_back({std::string(code), severity, std::move(location), std::move(message), std::move(hint)});
  };
  // Unused sources.
  if (!ruleset.sources.empty()) {
    std::set<std::string> cited;
    auto cite = [&](const std::vector<std::string>& list) { cited.insert(list.begin(), list.end()); };
    for (const auto& t : ruleset.techniques) cite(t.sources);
    for (const auto& f : ruleset.red_flags) cite(f.sources);
    for (const auto& r : ruleset.rules) cite(r.sources);
    cite(ruleset.plan.sources);
    for (const auto& step : ruleset.next_steps) {
      if (step) cite(step->sources);
    }
    for (const auto& source : ruleset.sources) {
      if (cited.count(source.id) == 0) {
        add(code::unused_source, Severity::warning, source.location, "source \"" + source.id + "\" is declared but never cited",
            "cite it in a `sources` property, or remove it");
      }
    }
  }
  // The hazard log: every red flag controls a hazard, every hazard has a control.
  if (!ruleset.hazards.empty() || options.release) {
    std::vector<bool> controlling(ruleset.red_flags.size(), false);
    for (const auto& hazard : ruleset.hazards) {
      for (const auto& control : hazard.controls) {
        if (control.kind == model::Control::Kind::red_flag) controlling[control.index] = true;
      }
    }
    for (std::size_t i = 0; i < ruleset.red_flags.size(); ++i) {
      if (!controlling[i]) {
        add(code::uncontrolled_red_flag, strict, ruleset.red_flags[i].location, "red flag `" + ruleset.red_flags[i].id + "` controls no hazard",
            "name it in the `controls` of the hazard it mitigates (hazards.rules)");
      }
    }
    for (const auto& hazard : ruleset.hazards) {
      if (hazard.controls.empty()) {
        add(code::uncontrolled_hazard, strict, hazard.location, "hazard `" + hazard.id + "` has no control",
            "list the red flags and rules that mitigate it in `controls`");
      }
    }
  }
  auto in_order = [&] {
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      if (a.location.file != b.location.file) return a.location.file < b.location.file;
      return a.location.line < b.location.line;
    });
    return out;
  };
  if (!options.release) return in_order();

  // The release gate.
  const auto& header = ruleset.header;
  SourceLocation where = header.declared ? header.location : SourceLocation{"(ruleset)", 1, 1};
  if (!header.declared) {
    add(code::release_gate, Severity::error, where, "the ruleset has no `ruleset` header", "add rules/ruleset.rules (see docs/clinicians.md)");
  } else {
    std::pair<const char*, const std::string*> fields[] = {
        {"approved_by", &header.approved_by},       {"approver_role", &header.approver_role},
        {"approved_on", &header.approved_on},       {"review_due", &header.review_due},
        {"effective_from", &header.effective_from},
    };
    for (const auto& [key, value] : fields) {
      if (value->empty()) add(code::release_gate, Severity::error, where, std::string("the ruleset header has no `") + key + "`");
    }
    if (header.status != "production") {
      add(code::release_gate, Severity::error, where, "the ruleset status is `" + header.status + "`, not `production`",
          "only a ruleset approved by a clinical safety officer is released");
    }
    if (auto due = check::parse_date(header.review_due)) {
      if (*due < options.today) {
        add(code::review_due, Severity::error, where, "the ruleset was due for review on " + header.review_due,
            "review it and set a new `review_due`");
      } else if (*due - options.today <= 30) {
        add(code::review_due, Severity::warning, where,
            "the ruleset is due for review on " + header.review_due + ", within 30 days");
      }
    }
    if (auto until = check::parse_date(header.effective_until); until && *until < options.today) {
      add(code::release_gate, Severity::error, where, "the ruleset stopped being effective on " + header.effective_until);
    }
  }
  if (ruleset.sources.empty()) {
    add(code::release_gate, Severity::error, where, "the ruleset declares no sources", "declare every cited source (sources.rules)");
  }
  if (ruleset.hazards.empty()) {
    add(code::release_gate, Severity::error, where, "the ruleset has no hazard log", "declare hazards (hazards.rules)");
  }
  for (const auto& hazard : ruleset.hazards) {
    if (hazard.residual_risk.rating >= 4) {
      add(code::residual_risk, Severity::error, hazard.location,
          "hazard `" + hazard.id + "` has residual risk " + std::to_string(hazard.residual_risk.rating) +
              " (" + (hazard.residual_risk.rating == 5 ? "unacceptable" : "mandatory elimination") + ")");
    }
    if (!options.have_coverage) continue;
    for (const auto& control : hazard.controls) {
      const std::string& id = control.kind == model::Control::Kind::red_flag ? ruleset.red_flags[control.index].id
                                                                             : ruleset.rules[control.index].id;
      if (options.exercised.count(id) == 0) {
        add(code::untested_control, Severity::error, hazard.location,
            "control `" + id + "` of hazard `" + hazard.id + "` is exercised by no `.cases` test",
            "add a case in rules/tests that fires it");
      }
    }
  }
  return in_order();
}

}  // namespace triage
