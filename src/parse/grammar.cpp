// The only translation unit that compiles the Spirit grammar.
#include "parse/grammar.hpp"

#include "parse/grammar_def.hpp"

namespace triage::grammar {

Step parse_declaration(std::string_view text, std::size_t& offset, ast::Declaration& out, SyntaxError& error) {
  Iterator const begin = text.data();
  Iterator const end = text.data() + text.size();
  Iterator first = begin + offset;
  x3::phrase_parse(first, end, x3::eps, skipper);  // skip blanks and comments
  offset = static_cast<std::size_t>(first - begin);
  if (first == end) return Step::end_of_input;

  auto const parser = x3::with<input_begin_tag>(begin)[declaration];
  try {
    if (x3::phrase_parse(first, end, parser, skipper, out)) {
      offset = static_cast<std::size_t>(first - begin);
      return Step::parsed;
    }
    return Step::no_declaration;
  } catch (x3::expectation_failure<Iterator> const& failure) {
    error.offset = static_cast<std::size_t>(failure.where() - begin);
    error.expected = failure.which();
    return Step::syntax_error;
  }
}

}  // namespace triage::grammar
