#pragma once
// Reads the `key value` properties of one declaration against what that declaration accepts,
// reporting unknown, repeated and missing properties.
#include <initializer_list>
#include <string>
#include <vector>

#include "check/context.hpp"
#include "parse/ast.hpp"
#include "parse/language.hpp"

namespace triage::check {

class Properties {
 public:
  // Checks the properties against what the language table (parse/language.hpp) allows for `kind`.
  // `what` names the declaration in messages ("technique `plank`"); `place` is where it starts.
  Properties(const std::vector<ast::Property>& properties, language::Decl kind, Context& context,
             const SourceFile* file, std::size_t place, const std::string& what);

  // The property with this key, or nullptr.
  const ast::Property* find(const std::string& key) const;
  // Every property with this key, in order.
  std::vector<const ast::Property*> all(const std::string& key) const;
  // The text of a text property, or empty.
  std::string text(const std::string& key) const;
  // The strings of a `sources` property.
  std::vector<std::string> sources() const;

 private:
  const std::vector<ast::Property>& properties_;
};

}  // namespace triage::check
