#include "fmt/format.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "parse/language.hpp"
#include "parse/parse.hpp"

namespace triage {
namespace {

constexpr std::size_t width = 100;

struct Comment {
  std::size_t offset;
  std::size_t line;
  std::size_t column;
  std::string text;   // from '#' to the end of the line
  bool own_line;      // nothing but blanks before it on its line
  bool blank_before;  // an empty line separates it from the line above
};

// Comments outside strings, in order.
std::vector<Comment> find_comments(const SourceFile& source) {
  std::vector<Comment> comments;
  const std::string& text = source.text();
  bool in_string = false;
  bool previous_blank = false;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '\n') {
      std::string line = text.substr(line_start, i - line_start);
      previous_blank = line.find_first_not_of(" \t\r") == std::string::npos;
      line_start = i + 1;
      in_string = false;
      continue;
    }
    char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '#') {
      std::size_t end = text.find('\n', i);
      if (end == std::string::npos) end = text.size();
      std::string body = text.substr(i, end - i);
      while (!body.empty() && (body.back() == '\r' || body.back() == ' ' || body.back() == '\t')) body.pop_back();
      bool own = text.substr(line_start, i - line_start).find_first_not_of(" \t") == std::string::npos;
      SourceLocation at = source.locate(i);
      comments.push_back({i, at.line, at.column, body, own, own && previous_blank});
      i = end - 1;
    }
  }
  return comments;
}

std::string quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// A text as adjacent string literals, each line at most `width` wide after `indent`.
std::string wrap_string(const std::string& text, std::size_t first_column, std::size_t indent) {
  std::vector<std::string> pieces;
  std::string rest = text;
  std::size_t room = width > first_column + 2 ? width - first_column - 2 : 20;
  while (quote(rest).size() + 0 > room + 2) {
    // Split at a single space so that rejoining with one space restores the text.
    std::size_t cut = std::string::npos;
    for (std::size_t i = std::min(rest.size() - 1, room); i > 0; --i) {
      if (rest[i] == ' ' && rest[i - 1] != ' ' && i + 1 < rest.size() && rest[i + 1] != ' ') {
        cut = i;
        break;
      }
    }
    if (cut == std::string::npos) break;
    pieces.push_back(rest.substr(0, cut));
    rest = rest.substr(cut + 1);
    room = width > indent + 2 ? width - indent - 2 : 20;
  }
  pieces.push_back(rest);
  std::string out;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (i > 0) out += "\n" + std::string(indent, ' ');
    out += quote(pieces[i]);
  }
  return out;
}

std::string names(const std::vector<ast::Identifier>& list) {
  std::string out;
  for (const auto& name : list) out += (out.empty() ? "" : ", ") + name.name;
  return out;
}

const char* op_text(ast::CompareOp op) {
  switch (op) {
    case ast::CompareOp::eq: return "=";
    case ast::CompareOp::ne: return "!=";
    case ast::CompareOp::lt: return "<";
    case ast::CompareOp::le: return "<=";
    case ast::CompareOp::gt: return ">";
    case ast::CompareOp::ge: return ">=";
  }
  return "=";
}

// Precedence: or 1, and 2, not and atoms 3.
int precedence(const ast::Expr& expr) {
  if (std::holds_alternative<ast::Or>(expr.node)) return 1;
  if (std::holds_alternative<ast::And>(expr.node)) return 2;
  return 3;
}

std::string condition(const ast::Expr& expr);

std::string operand(const ast::Expr& expr, int context) {
  std::string text = condition(expr);
  return precedence(expr) < context ? "(" + text + ")" : text;
}

std::string condition(const ast::Expr& expr) {
  return std::visit(
      [&](const auto& node) -> std::string {
        using T = std::decay_t<decltype(node)>;
        if constexpr (std::is_same_v<T, ast::FactRef>) return node.fact.name;
        if constexpr (std::is_same_v<T, ast::Compare>) {
          std::string rhs = std::holds_alternative<std::int64_t>(node.rhs)
                                ? std::to_string(std::get<std::int64_t>(node.rhs))
                                : std::get<ast::Identifier>(node.rhs).name;
          return node.fact.name + " " + op_text(node.op) + " " + rhs;
        }
        if constexpr (std::is_same_v<T, ast::Member>) return node.value.name + " in " + node.set_fact.name;
        if constexpr (std::is_same_v<T, ast::OneOf>) return node.fact.name + " in {" + names(node.values) + "}";
        if constexpr (std::is_same_v<T, ast::Has>) {
          const char* q = node.quantifier == ast::Quantifier::any ? "any"
                          : node.quantifier == ast::Quantifier::all ? "all"
                                                                    : "none";
          return node.fact.name + " has " + q + " {" + names(node.values) + "}";
        }
        if constexpr (std::is_same_v<T, ast::Always>) return "always";
        if constexpr (std::is_same_v<T, ast::Not>) return "not " + operand(node.operand.front(), 3);
        if constexpr (std::is_same_v<T, ast::And>) {
          std::string out;
          for (const auto& term : node.terms) out += (out.empty() ? "" : " and ") + operand(term, 3);
          return out;
        }
        if constexpr (std::is_same_v<T, ast::Or>) {
          std::string out;
          for (const auto& term : node.terms) out += (out.empty() ? "" : " or ") + operand(term, 2);
          return out;
        }
      },
      expr.node);
}

std::string target(const ast::Target& t) {
  switch (t.kind) {
    case ast::Target::Kind::tag: return "tag " + t.name.name;
    case ast::Target::Kind::phase: return "phase " + t.name.name;
    case ast::Target::Kind::technique: return t.name.name;
  }
  return t.name.name;
}

std::string effect(const ast::Effect& e) {
  switch (e.kind) {
    case ast::Effect::Kind::refer: return "refer " + e.tier.name;
    case ast::Effect::Kind::avoid: return "avoid " + target(e.first);
    case ast::Effect::Kind::include: return "include " + target(e.first);
    case ast::Effect::Kind::order: return "order " + target(e.first) + " before " + target(e.second);
    case ast::Effect::Kind::caution: return e.has_target ? "caution on " + target(e.first) : "caution";
  }
  return "";
}

std::string value(const ast::Value& v) {
  switch (v.kind) {
    case ast::Value::Kind::boolean: return v.boolean ? "true" : "false";
    case ast::Value::Kind::integer: return std::to_string(v.integer);
    case ast::Value::Kind::symbol: return v.symbol.name;
    case ast::Value::Kind::set: return "{" + names(v.members) + "}";
  }
  return "";
}

class Printer {
 public:
  Printer(const SourceFile& source, std::vector<Comment> comments)
      : source_(source), comments_(std::move(comments)) {}

  std::string print(const ast::RuleFile& file) {
    for (std::size_t i = 0; i < file.declarations.size(); ++i) {
      std::size_t start = std::visit([](const auto& d) { return d.offset; }, file.declarations[i]);
      std::size_t end = i + 1 < file.declarations.size()
                            ? std::visit([](const auto& d) { return d.offset; }, file.declarations[i + 1])
                            : source_.text().size();
      leading_comments(start, out_.empty());
      std::visit([&](const auto& d) { declaration(d, start, end); }, file.declarations[i]);
    }
    leading_comments(source_.text().size() + 1, out_.empty());  // comments after the last declaration
    while (!out_.empty() && out_.back() == '\n') out_.pop_back();
    return out_.empty() ? out_ : out_ + "\n";
  }

 private:
  // Own-line comments before `offset` not printed yet, then a blank line before the declaration.
  void leading_comments(std::size_t offset, bool at_start) {
    bool printed = false;
    while (next_ < comments_.size() && comments_[next_].offset < offset) {
      if (used_.count(next_)) {
        ++next_;
        continue;
      }
      const Comment& c = comments_[next_++];
      if (!printed && !at_start) out_ += "\n";
      else if (printed && c.blank_before) out_ += "\n";
      out_ += c.text + "\n";
      printed = true;
    }
    std::size_t decl_line = source_.locate(std::min(offset, source_.text().size())).line;
    if (printed && offset <= source_.text().size()) {
      // Keep a blank line between a comment block and its declaration when the source had one.
      if (decl_line >= 2 && source_.line_text(decl_line - 1).find_first_not_of(" \t\r") == std::string::npos) {
        out_ += "\n";
      }
    } else if (!printed && !at_start && offset <= source_.text().size()) {
      out_ += "\n";
    }
  }

  // Comments inside a declaration before `offset`, printed above it, indented. (A trailing comment
  // whose line was folded away lands here too, on a line of its own.)
  // With `indented_only`, a comment at the start of a line ends the run: after a declaration's
  // last property, such comments open the next declaration.
  void inner_comments(std::size_t offset, bool indented_only = false) {
    while (next_ < comments_.size() && comments_[next_].offset < offset) {
      if (indented_only && comments_[next_].own_line && comments_[next_].column == 1 && !used_.count(next_)) return;
      if (!used_.count(next_)) out_ += "  " + comments_[next_].text + "\n";
      ++next_;
    }
  }

  // A trailing comment on the source line of `offset`, if any, for the end of the printed line.
  std::string trailing(std::size_t offset, std::size_t limit) {
    std::size_t line = source_.locate(offset).line;
    std::string found;
    for (std::size_t k = next_; k < comments_.size() && comments_[k].offset < limit; ++k) {
      if (!comments_[k].own_line && comments_[k].line == line && !used_.count(k)) {
        used_.insert(k);
        found = "  " + comments_[k].text;
      }
    }
    return found;
  }

  void skip_used() {
    while (next_ < comments_.size() && used_.count(next_)) ++next_;
  }

  void line(const std::string& text, std::size_t offset, std::size_t limit) {
    std::string tail = trailing(offset, limit);
    auto newline = text.find('\n');
    if (newline == std::string::npos) out_ += text + tail + "\n";
    else out_ += text.substr(0, newline) + tail + text.substr(newline) + "\n";
    skip_used();
  }

  void properties(std::vector<ast::Property> list, std::size_t end) {
    std::stable_sort(list.begin(), list.end(),
                     [](const auto& a, const auto& b) {
                       return language::property_rank(a.key) < language::property_rank(b.key);
                     });
    for (const auto& p : list) {
      inner_comments(p.offset);
      line(property_text(p), p.offset, end);
    }
    inner_comments(end, /*indented_only=*/true);
  }

  // One property as printed, by the kind of value its key takes (see parse/language.hpp).
  static std::string property_text(const ast::Property& p) {
    std::string prefix = "  " + p.key + " ";
    const language::PropertyKey* row = language::find_property(p.key);
    switch (row != nullptr ? row->kind : language::ValueKind::names) {
      case language::ValueKind::sources: {
        std::string text;
        for (const auto& s : p.strings) text += (text.empty() ? "" : ", ") + quote(s.text);
        return prefix + text;
      }
      case language::ValueKind::value: return prefix + value(p.value);
      case language::ValueKind::require: {
        std::string text = p.names[0].name + " whenever " + p.names[1].name;
        for (std::size_t i = 2; i < p.names.size(); ++i) text += (i == 2 ? " except " : ", ") + p.names[i].name;
        return prefix + text;
      }
      case language::ValueKind::number: return prefix + std::to_string(p.number);
      case language::ValueKind::label: {
        std::string head = prefix + p.names[0].name + " ";
        return head + wrap_string(p.strings.front().text, head.size(), head.size());
      }
      case language::ValueKind::text: return prefix + wrap_string(p.strings.front().text, prefix.size(), prefix.size());
      case language::ValueKind::names: return prefix + names(p.names);
    }
    return prefix;
  }

  void declaration(const ast::SectionDecl& d, std::size_t start, std::size_t end) {
    line("section " + d.name.name, start, end);
    properties(d.properties, end);
  }

  void declaration(const ast::RulesetDecl& d, std::size_t start, std::size_t end) {
    line("ruleset", start, end);
    properties(d.properties, end);
  }

  void declaration(const ast::SourceDecl& d, std::size_t start, std::size_t end) {
    line("source " + quote(d.id.text), start, end);
    properties(d.properties, end);
  }

  void declaration(const ast::HazardDecl& d, std::size_t start, std::size_t end) {
    line("hazard " + d.name.name, start, end);
    properties(d.properties, end);
  }

  void declaration(const ast::NextStepDecl& d, std::size_t start, std::size_t end) {
    line("next_step " + d.tier.name, start, end);
    properties(d.properties, end);
  }

  void declaration(const ast::FactDecl& d, std::size_t start, std::size_t end) {
    std::string type;
    switch (d.type.kind) {
      case ast::FactKind::boolean: type = "bool"; break;
      case ast::FactKind::integer: type = "int " + std::to_string(d.type.low) + ".." + std::to_string(d.type.high); break;
      case ast::FactKind::enumeration: type = "enum {" + names(d.type.values) + "}"; break;
      case ast::FactKind::set: type = "set of {" + names(d.type.values) + "}"; break;
    }
    line("fact " + d.name.name + ": " + type, start, end);
    properties(d.properties, end);
  }

  void declaration(const ast::DerivedDecl& d, std::size_t start, std::size_t end) {
    line("derived " + d.name.name + " = " + condition(d.condition), start, end);
    properties(d.properties, end);
  }

  void declaration(const ast::TagDecl& d, std::size_t start, std::size_t end) {
    std::string head = "tag " + d.name.name + " ";
    line(head + wrap_string(d.description.text, head.size(), 2), start, end);
  }

  void declaration(const ast::TechniqueDecl& d, std::size_t start, std::size_t end) {
    line("technique " + d.name.name, start, end);
    properties(d.properties, end);
  }

  void declaration(const ast::RuleDecl& d, std::size_t start, std::size_t end) {
    std::string head = std::string(d.red_flag ? "red_flag " : "rule ") + d.name.name + ":";
    std::string effects;
    for (const auto& e : d.effects) effects += (effects.empty() ? "" : ", ") + effect(e);
    std::string body = condition(d.condition) + " -> " + effects;
    if (head.size() + 1 + body.size() <= width) {
      line(head + " " + body, start, end);
    } else {
      // Condition on its own line; effects filled to the width, continued under the first one.
      std::string lead = "  " + condition(d.condition) + " -> ";
      std::string text = lead;
      std::size_t column = lead.size();
      for (std::size_t i = 0; i < d.effects.size(); ++i) {
        std::string piece = effect(d.effects[i]) + (i + 1 < d.effects.size() ? "," : "");
        if (column > lead.size() && column + 1 + piece.size() > width) {
          text += "\n" + std::string(lead.size(), ' ');
          column = lead.size();
        } else if (column > lead.size()) {
          text += " ";
          ++column;
        }
        text += piece;
        column += piece.size();
      }
      line(head + "\n" + text, start, end);
    }
    properties(d.properties, end);
  }

  void declaration(const ast::PlanDecl& d, std::size_t start, std::size_t end) {
    line("plan", start, end);
    properties(d.properties, end);
  }

  const SourceFile& source_;
  std::vector<Comment> comments_;
  std::size_t next_ = 0;
  std::set<std::size_t> used_;
  std::string out_;
};

}  // namespace

FormatResult format_rules(const SourceFile& source) {
  FormatResult result;
  ParseResult parsed = parse_rules(source);
  if (!parsed.diagnostics.empty()) {
    result.diagnostics = std::move(parsed.diagnostics);
    return result;
  }
  result.text = Printer(source, find_comments(source)).print(parsed.file);
  return result;
}

}  // namespace triage
