#pragma once
// The rule language grammar in Boost.Spirit X3. It builds the AST and nothing else: no checks, no
// lookups. Semantic actions fill nodes field by field so the plain std::variant AST needs no
// fusion adaptation. Offsets come from `offset`, a parser that records where a node starts.
#include <boost/spirit/home/x3.hpp>

#include "parse/ast.hpp"
#include "parse/language.hpp"

namespace boost::spirit::x3 {
// An expectation failure names what was expected through `what`; for a parser with a semantic
// action that would be a C++ type name, so report the name of the parser inside instead.
template <typename Subject, typename Action>
struct get_info<action<Subject, Action>> {
  typedef std::string result_type;
  std::string operator()(action<Subject, Action> const& parser) const { return what(parser.subject); }
};
}  // namespace boost::spirit::x3

namespace triage::grammar {

namespace x3 = boost::spirit::x3;

using Iterator = const char*;
struct input_begin_tag;

// Matches nothing; yields the offset of the next token (after the skipper) from the input start.
struct offset_parser : x3::parser<offset_parser> {
  using attribute_type = std::size_t;
  static bool const has_attribute = true;

  template <typename It, typename Context, typename RContext, typename Attribute>
  bool parse(It& first, It const& last, Context const& context, RContext&, Attribute& attr) const {
    x3::skip_over(first, last, context);
    attr = static_cast<std::size_t>(first - x3::get<input_begin_tag>(context));
    return true;
  }
};
inline offset_parser const offset{};

// ASCII-only character classes: Spirit's x3::space/alnum/lower/... hand a plain (negative for
// bytes >= 0x80) char to <cctype>, which is undefined behaviour and asserts in Debug builds.
inline auto const ascii_space = x3::char_(" \t\n\r\f\v");
inline auto const ascii_lower = x3::char_('a', 'z');
inline auto const ascii_upper = x3::char_('A', 'Z');
inline auto const ascii_digit = x3::char_('0', '9');
inline auto const ascii_alnum = ascii_lower | ascii_upper | ascii_digit;

// A keyword must not be the start of a longer identifier (`tags` is not `tag`).
inline auto kw(char const* word) { return x3::lexeme[x3::lit(word) >> !(ascii_alnum | x3::lit('_'))]; }

// A keyword that must follow another; the rule name is what an error message says was expected.
template <typename ID>
auto expected_kw(char const* word, char const* name) {
  return x3::rule<ID>{name} = kw(word);
}

// --- actions -------------------------------------------------------------------------------------
inline auto const assign = [](auto& ctx) { x3::_val(ctx) = std::move(x3::_attr(ctx)); };
inline auto const push = [](auto& ctx) { x3::_val(ctx).push_back(std::move(x3::_attr(ctx))); };
inline auto const set_offset = [](auto& ctx) { x3::_val(ctx).offset = x3::_attr(ctx); };

// --- rules ---------------------------------------------------------------------------------------
x3::rule<class skipper_id> const skipper = "whitespace";
x3::rule<class raw_name_id, std::string> const raw_name = "a name";
x3::rule<class identifier_id, ast::Identifier> const identifier = "a name";
x3::rule<class single_string_id, std::string> const single_string = "a string in double quotes";
x3::rule<class string_lit_id, ast::StringLit> const string_lit = "a string in double quotes";
x3::rule<class integer_id, std::int64_t> const integer = "a whole number";
struct Operand {
  std::size_t offset = 0;
  bool is_number = false;
  std::int64_t number = 0;
  ast::Identifier name;
};
x3::rule<class operand_id, Operand> const operand = "a number or a value";
x3::rule<class quantifier_word_id, ast::Quantifier> const quantifier_word = "`any`, `all` or `none`";
x3::rule<class name_list_id, std::vector<ast::Identifier>> const name_list = "a list of names in braces, like {a, b}";
x3::rule<class value_id, ast::Value> const value = "a value (true, false, a number, a name or {a, b})";
x3::rule<class fact_type_id, ast::FactType> const fact_type = "a fact type (bool, int LOW..HIGH, enum {...} or set of {...})";
x3::rule<class property_id, ast::Property> const property = "a property";
x3::rule<class or_expr_id, ast::Expr> const or_expr = "a condition";
x3::rule<class and_expr_id, ast::Expr> const and_expr = "a condition";
x3::rule<class not_expr_id, ast::Expr> const not_expr = "a condition";
x3::rule<class primary_id, ast::Expr> const primary = "a condition";
x3::rule<class target_id, ast::Target> const target = "a technique, `tag NAME` or `phase NAME`";
x3::rule<class effect_id, ast::Effect> const effect = "an effect (refer, avoid, include, order or caution)";
x3::rule<class tier_id, ast::Identifier> const tier = "an urgency (emergency, urgent or routine)";
x3::rule<class arrow_id> const arrow = "`->`";
x3::rule<class fact_decl_id, ast::FactDecl> const fact_decl = "a fact";
x3::rule<class derived_decl_id, ast::DerivedDecl> const derived_decl = "a derived fact";
x3::rule<class tag_decl_id, ast::TagDecl> const tag_decl = "a tag";
x3::rule<class technique_decl_id, ast::TechniqueDecl> const technique_decl = "a technique";
x3::rule<class rule_decl_id, ast::RuleDecl> const rule_decl = "a rule";
x3::rule<class plan_decl_id, ast::PlanDecl> const plan_decl = "a plan";
x3::rule<class section_decl_id, ast::SectionDecl> const section_decl = "a section";
x3::rule<class next_step_decl_id, ast::NextStepDecl> const next_step_decl = "a next step";
x3::rule<class ruleset_decl_id, ast::RulesetDecl> const ruleset_decl = "a ruleset header";
x3::rule<class source_decl_id, ast::SourceDecl> const source_decl = "a source";
x3::rule<class hazard_decl_id, ast::HazardDecl> const hazard_decl = "a hazard";
x3::rule<class declaration_id, ast::Declaration> const declaration = "a declaration";

auto const skipper_def = ascii_space | x3::lexeme['#' >> *(x3::char_ - x3::eol)];

// Words with a meaning inside conditions cannot name facts or values.
struct reserved_words : x3::symbols<x3::unused_type> {
  reserved_words() {
    for (auto word : language::reserved_words) add(std::string(word));
  }
};
inline reserved_words const reserved{};

auto const raw_name_def =
    x3::lexeme[((ascii_lower | x3::char_('_')) >> *(ascii_lower | ascii_digit | x3::char_('_')) >> !(ascii_upper)) -
               (reserved >> !(ascii_alnum | x3::lit('_')))];

auto const identifier_def = offset[set_offset] >> raw_name[([](auto& ctx) { x3::_val(ctx).name = x3::_attr(ctx); })];

x3::rule<class escape_id, char> const escape_char = "`\\\"` or `\\\\` (the only escapes in a string)";
auto const escape_char_def = x3::char_('"') | x3::char_('\\');
auto const escaped = x3::lit('\\') > escape_char;
auto const single_string_def = x3::lexeme['"' > *(escaped | (x3::char_ - x3::char_("\"\\\n"))) > '"'];

auto const string_lit_def =
    offset[set_offset] >> +single_string[([](auto& ctx) {
      auto& text = x3::_val(ctx).text;
      if (!text.empty()) text += ' ';
      text += x3::_attr(ctx);
    })];

auto const integer_def = x3::long_long;

auto const name_list_def = '{' > -(identifier[push] % ',') > '}';

auto const value_def =
    offset[set_offset] >>
    (kw("true")[([](auto& ctx) { x3::_val(ctx).kind = ast::Value::Kind::boolean; x3::_val(ctx).boolean = true; })] |
     kw("false")[([](auto& ctx) { x3::_val(ctx).kind = ast::Value::Kind::boolean; x3::_val(ctx).boolean = false; })] |
     integer[([](auto& ctx) { x3::_val(ctx).kind = ast::Value::Kind::integer; x3::_val(ctx).integer = x3::_attr(ctx); })] |
     name_list[([](auto& ctx) { x3::_val(ctx).kind = ast::Value::Kind::set; x3::_val(ctx).members = x3::_attr(ctx); })] |
     identifier[([](auto& ctx) { x3::_val(ctx).kind = ast::Value::Kind::symbol; x3::_val(ctx).symbol = x3::_attr(ctx); })]);

auto const set_kind = [](ast::FactKind kind) { return [kind](auto& ctx) { x3::_val(ctx).kind = kind; }; };
auto const fact_type_def =
    offset[set_offset] >>
    (kw("bool")[set_kind(ast::FactKind::boolean)] |
     (kw("int")[set_kind(ast::FactKind::integer)] > integer[([](auto& ctx) { x3::_val(ctx).low = x3::_attr(ctx); })] >
      ".." > integer[([](auto& ctx) { x3::_val(ctx).high = x3::_attr(ctx); })]) |
     (kw("enum")[set_kind(ast::FactKind::enumeration)] > name_list[([](auto& ctx) { x3::_val(ctx).values = x3::_attr(ctx); })]) |
     (kw("set")[set_kind(ast::FactKind::set)] > expected_kw<class of_id>("of", "`of`") >
      name_list[([](auto& ctx) { x3::_val(ctx).values = x3::_attr(ctx); })]));

// Property keys by the kind of value they take, from the language table.
struct key_set : x3::symbols<std::string> {
  explicit key_set(language::ValueKind kind) {
    for (const auto& row : language::property_keys) {
      if (row.kind == kind) add(std::string(row.key), std::string(row.key));
    }
  }
};
inline key_set const text_keys{language::ValueKind::text};
inline key_set const name_keys{language::ValueKind::names};
inline key_set const source_keys{language::ValueKind::sources};
inline key_set const number_keys{language::ValueKind::number};

auto const keyed = [](key_set const& keys) { return x3::lexeme[keys >> !(ascii_alnum | x3::lit('_'))]; };
auto const set_key = [](auto& ctx) { x3::_val(ctx).key = x3::_attr(ctx); };
auto const push_string = [](auto& ctx) { x3::_val(ctx).strings.push_back(x3::_attr(ctx)); };
auto const push_name = [](auto& ctx) { x3::_val(ctx).names.push_back(x3::_attr(ctx)); };

auto const source_decl_key = kw("title") | kw("url") | kw("document");

auto const property_def =
    offset[set_offset] >>
    ((keyed(text_keys)[set_key] > string_lit[push_string]) |
     (keyed(name_keys)[set_key] > identifier[push_name] > *(',' > identifier[push_name])) |
     (keyed(source_keys)[set_key] > string_lit[push_string] >
      *(',' > string_lit[push_string])) |
     // `source "a"` followed by a key of a `source` declaration starts that declaration instead.
     ((kw("source") >> !(string_lit >> source_decl_key))[([](auto& ctx) { x3::_val(ctx).key = "sources"; })] >
      string_lit[push_string] > *(',' > string_lit[push_string])) |
     (keyed(number_keys)[set_key] > integer[([](auto& ctx) { x3::_val(ctx).number = x3::_attr(ctx); })]) |
     (kw("default")[([](auto& ctx) { x3::_val(ctx).key = "default"; })] >
      value[([](auto& ctx) { x3::_val(ctx).value = x3::_attr(ctx); })]) |
     (kw("require")[([](auto& ctx) { x3::_val(ctx).key = "require"; })] > identifier[push_name] > expected_kw<class whenever_id>("whenever", "`whenever`") >
      identifier[push_name] > -(kw("except") > identifier[push_name] > *(',' > identifier[push_name]))) |
     (kw("label")[([](auto& ctx) { x3::_val(ctx).key = "label"; })] > identifier[push_name] > string_lit[push_string]));

// --- conditions ----------------------------------------------------------------------------------
struct compare_ops : x3::symbols<ast::CompareOp> {
  compare_ops() {
    add("==", ast::CompareOp::eq)("=", ast::CompareOp::eq)("!=", ast::CompareOp::ne)("<=", ast::CompareOp::le)(
        "<", ast::CompareOp::lt)(">=", ast::CompareOp::ge)(">", ast::CompareOp::gt);
  }
};
inline compare_ops const compare_op{};

struct quantifiers : x3::symbols<ast::Quantifier> {
  quantifiers() { add("any", ast::Quantifier::any)("all", ast::Quantifier::all)("none", ast::Quantifier::none); }
};
inline quantifiers const quantifier{};

// An atom starts with a name; what follows decides its kind. The node starts as a FactRef and the
// tail actions turn it into the fuller node.
auto const start_atom = [](auto& ctx) { x3::_val(ctx).node = ast::FactRef{x3::_attr(ctx)}; };
auto const lhs_of = [](auto& ctx) { return std::get<ast::FactRef>(x3::_val(ctx).node).fact; };

auto const has_tail =
    kw("has") > quantifier_word[([](auto& ctx) {
      x3::_val(ctx).node = ast::Has{lhs_of(ctx), x3::_attr(ctx), {}};
    })] > name_list[([](auto& ctx) { std::get<ast::Has>(x3::_val(ctx).node).values = x3::_attr(ctx); })];
auto const in_tail =
    kw("in") > (name_list[([](auto& ctx) { x3::_val(ctx).node = ast::OneOf{lhs_of(ctx), x3::_attr(ctx)}; })] |
                identifier[([](auto& ctx) { x3::_val(ctx).node = ast::Member{lhs_of(ctx), x3::_attr(ctx)}; })]);
// Once an operator is read, a right side must follow, so the node can be switched early.
auto const quantifier_word_def = x3::lexeme[quantifier >> !(ascii_alnum | x3::lit('_'))];
auto const operand_def = offset[set_offset] >> integer[([](auto& ctx) {
                           x3::_val(ctx).is_number = true;
                           x3::_val(ctx).number = x3::_attr(ctx);
                         })] |
                         identifier[([](auto& ctx) { x3::_val(ctx).name = x3::_attr(ctx); })];
auto const compare_tail =
    compare_op[([](auto& ctx) { x3::_val(ctx).node = ast::Compare{lhs_of(ctx), x3::_attr(ctx), {}}; })] >
    operand[([](auto& ctx) {
      auto& compare = std::get<ast::Compare>(x3::_val(ctx).node);
      Operand const& rhs = x3::_attr(ctx);
      compare.rhs_offset = rhs.offset;
      if (rhs.is_number) compare.rhs = rhs.number;
      else compare.rhs = rhs.name;
    })];

auto const atom = identifier[start_atom] >> -(has_tail | in_tail | compare_tail);

auto const primary_def =
    offset[set_offset] >>
    (('(' > or_expr[([](auto& ctx) { x3::_val(ctx).node = std::move(x3::_attr(ctx).node); })] > ')') |
     kw("always")[([](auto& ctx) { x3::_val(ctx).node = ast::Always{}; })] | atom);

auto const not_expr_def =
    (offset >> kw("not") > not_expr)[([](auto& ctx) {
      using boost::fusion::at_c;
      x3::_val(ctx).offset = at_c<0>(x3::_attr(ctx));
      x3::_val(ctx).node = ast::Not{{std::move(at_c<1>(x3::_attr(ctx)))}};
    })] |
    primary[assign];

// Builds a flat n-ary node: `a and b and c` becomes And{a, b, c}.
template <typename Node>
auto const append_term = [](auto& ctx) {
  auto& val = x3::_val(ctx);
  if (!std::holds_alternative<Node>(val.node)) {
    ast::Expr first = std::move(val);
    val = ast::Expr{first.offset, Node{}};
    std::get<Node>(val.node).terms.push_back(std::move(first));
  }
  std::get<Node>(val.node).terms.push_back(std::move(x3::_attr(ctx)));
};

auto const and_expr_def = not_expr[assign] >> *(kw("and") > not_expr[append_term<ast::And>]);
auto const or_expr_def = and_expr[assign] >> *(kw("or") > and_expr[append_term<ast::Or>]);

// --- rules and effects ---------------------------------------------------------------------------
auto const arrow_def = x3::lit("->") | x3::lit("\xE2\x86\x92");

auto const tier_def = identifier[assign];  // the checker names the allowed tiers

auto const target_def =
    (kw("tag") > identifier[([](auto& ctx) { x3::_val(ctx) = ast::Target{ast::Target::Kind::tag, x3::_attr(ctx)}; })]) |
    (kw("phase") > identifier[([](auto& ctx) { x3::_val(ctx) = ast::Target{ast::Target::Kind::phase, x3::_attr(ctx)}; })]) |
    identifier[([](auto& ctx) { x3::_val(ctx) = ast::Target{ast::Target::Kind::technique, x3::_attr(ctx)}; })];

auto const effect_kind = [](ast::Effect::Kind kind) { return [kind](auto& ctx) { x3::_val(ctx).kind = kind; }; };
auto const set_first = [](auto& ctx) { x3::_val(ctx).first = x3::_attr(ctx); };

auto const effect_def =
    offset[set_offset] >>
    ((kw("refer")[effect_kind(ast::Effect::Kind::refer)] > tier[([](auto& ctx) { x3::_val(ctx).tier = x3::_attr(ctx); })]) |
     (kw("avoid")[effect_kind(ast::Effect::Kind::avoid)] > target[set_first]) |
     (kw("include")[effect_kind(ast::Effect::Kind::include)] > target[set_first]) |
     (kw("order")[effect_kind(ast::Effect::Kind::order)] > target[set_first] > expected_kw<class before_id>("before", "`before`") >
      target[([](auto& ctx) { x3::_val(ctx).second = x3::_attr(ctx); })]) |
     (kw("caution")[effect_kind(ast::Effect::Kind::caution)] >>
      -(kw("on") > target[([](auto& ctx) {
          x3::_val(ctx).first = x3::_attr(ctx);
          x3::_val(ctx).has_target = true;
        })])));

// --- declarations --------------------------------------------------------------------------------
auto const set_name = [](auto& ctx) { x3::_val(ctx).name = x3::_attr(ctx); };
auto const push_property = [](auto& ctx) { x3::_val(ctx).properties.push_back(x3::_attr(ctx)); };
auto const set_condition = [](auto& ctx) { x3::_val(ctx).condition = x3::_attr(ctx); };

auto const fact_decl_def = offset[set_offset] >> kw("fact") > identifier[set_name] > ':' >
                           fact_type[([](auto& ctx) { x3::_val(ctx).type = x3::_attr(ctx); })] >
                           *property[push_property];

auto const derived_decl_def = offset[set_offset] >> kw("derived") > identifier[set_name] > '=' >
                              or_expr[set_condition] > *property[push_property];

auto const tag_decl_def = offset[set_offset] >> kw("tag") > identifier[set_name] >
                          string_lit[([](auto& ctx) { x3::_val(ctx).description = x3::_attr(ctx); })];

auto const technique_decl_def =
    offset[set_offset] >> kw("technique") > identifier[set_name] > *property[push_property];

auto const push_effect = [](auto& ctx) { x3::_val(ctx).effects.push_back(x3::_attr(ctx)); };
auto const rule_decl_def =
    offset[set_offset] >>
    (kw("red_flag")[([](auto& ctx) { x3::_val(ctx).red_flag = true; })] | kw("rule")) > identifier[set_name] > ':' >
    or_expr[set_condition] > arrow > effect[push_effect] > *(',' > effect[push_effect]) >
    *property[push_property];

auto const plan_decl_def = offset[set_offset] >> kw("plan") > *property[push_property];

auto const section_decl_def = offset[set_offset] >> kw("section") > identifier[set_name] > *property[push_property];

auto const next_step_decl_def = offset[set_offset] >> kw("next_step") >
                                tier[([](auto& ctx) { x3::_val(ctx).tier = x3::_attr(ctx); })] > *property[push_property];

auto const ruleset_decl_def = offset[set_offset] >> kw("ruleset") > *property[push_property];

auto const source_decl_def = offset[set_offset] >> kw("source") >
                             string_lit[([](auto& ctx) { x3::_val(ctx).id = x3::_attr(ctx); })] > *property[push_property];

auto const hazard_decl_def = offset[set_offset] >> kw("hazard") > identifier[set_name] > *property[push_property];

auto const declaration_def = fact_decl[assign] | derived_decl[assign] | tag_decl[assign] | technique_decl[assign] |
                             rule_decl[assign] | plan_decl[assign] | section_decl[assign] | next_step_decl[assign] |
                             ruleset_decl[assign] | source_decl[assign] | hazard_decl[assign];

BOOST_SPIRIT_DEFINE(skipper, escape_char, raw_name, identifier, single_string, string_lit, integer, operand, quantifier_word,
                    name_list, value, fact_type,
                    property, or_expr, and_expr, not_expr, primary, target, effect, tier, arrow, fact_decl,
                    derived_decl, tag_decl, technique_decl, rule_decl, plan_decl, section_decl, next_step_decl,
                    ruleset_decl, source_decl, hazard_decl, declaration)

}  // namespace triage::grammar
