#pragma once
// Boost-free entry into the X3 grammar (defined in grammar_def.hpp, compiled once in grammar.cpp).
#include <cstddef>
#include <string>
#include <string_view>

#include "parse/ast.hpp"

namespace triage::grammar {

enum class Step { parsed, end_of_input, no_declaration, syntax_error };

struct SyntaxError {
  std::size_t offset = 0;   // where the parser stopped
  std::string expected;     // what it wanted there, in words
};

// Skips blanks and comments from `offset`, then parses one declaration.
// On `parsed`, `offset` is past it; otherwise `offset` is where the problem starts.
Step parse_declaration(std::string_view text, std::size_t& offset, ast::Declaration& out, SyntaxError& error);

}  // namespace triage::grammar
