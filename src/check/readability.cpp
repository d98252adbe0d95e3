#include "check/readability.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <string>
#include <type_traits>
#include <variant>

#include "diag/codes.hpp"
#include "parse/language.hpp"

namespace triage {
namespace {

bool is_letter(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool is_vowel(char c) {
  switch (std::tolower(static_cast<unsigned char>(c))) {
    case 'a': case 'e': case 'i': case 'o': case 'u': case 'y': return true;
    default: return false;
  }
}

// Syllables of one lower-case word: vowel groups, less a silent final `e` (but not `-le` after a
// consonant, as in "muscle"), less `-es`/`-ed` endings that add no sound; at least one.
int syllables_of(const std::string& word) {
  if (word.empty()) return 0;
  int groups = 0;
  bool in_vowels = false;
  for (char c : word) {
    bool vowel = is_vowel(c);
    if (vowel && !in_vowels) ++groups;
    in_vowels = vowel;
  }
  std::size_t n = word.size();
  auto ends = [&](std::string_view tail) { return n >= tail.size() && word.compare(n - tail.size(), tail.size(), tail) == 0; };
  if (n > 2 && ends("e") && !ends("le") && !ends("ee") && !ends("ye") && groups > 1) --groups;
  else if (n > 3 && ends("le") && is_vowel(word[n - 3]) && groups > 1) --groups;
  // "-es" is silent (minutes, notes) except after s, x, z, ch, sh, c and g (boxes, places);
  // "-ed" is silent (moved) except after t and d (started, needed).
  if (n > 3 && groups > 1 && ends("es") && !is_vowel(word[n - 3])) {
    char before = word[n - 3];
    bool sounded = before == 's' || before == 'x' || before == 'z' || before == 'c' || before == 'g' || ends("ches") ||
                   ends("shes");
    if (!sounded) --groups;
  } else if (n > 3 && groups > 1 && ends("ed") && !is_vowel(word[n - 3]) && word[n - 3] != 't' && word[n - 3] != 'd') {
    --groups;
  }
  return groups < 1 ? 1 : groups;
}

std::string lower(std::string_view text) {
  std::string s(text);
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The kind of declaration a parsed declaration is, and its properties.
std::pair<language::Decl, const std::vector<ast::Property>*> kind_of(const ast::Declaration& declaration) {
  return std::visit(
      [](const auto& decl) -> std::pair<language::Decl, const std::vector<ast::Property>*> {
        using T = std::decay_t<decltype(decl)>;
        using language::Decl;
        if constexpr (std::is_same_v<T, ast::FactDecl>) return {Decl::fact, &decl.properties};
        if constexpr (std::is_same_v<T, ast::DerivedDecl>) return {Decl::derived, &decl.properties};
        if constexpr (std::is_same_v<T, ast::TagDecl>) return {Decl::tag, nullptr};
        if constexpr (std::is_same_v<T, ast::TechniqueDecl>) return {Decl::technique, &decl.properties};
        if constexpr (std::is_same_v<T, ast::RuleDecl>) return {decl.red_flag ? Decl::red_flag : Decl::rule, &decl.properties};
        if constexpr (std::is_same_v<T, ast::PlanDecl>) return {Decl::plan, &decl.properties};
        if constexpr (std::is_same_v<T, ast::SectionDecl>) return {Decl::section, &decl.properties};
        if constexpr (std::is_same_v<T, ast::NextStepDecl>) return {Decl::next_step, &decl.properties};
        if constexpr (std::is_same_v<T, ast::RulesetDecl>) return {Decl::ruleset, &decl.properties};
        if constexpr (std::is_same_v<T, ast::SourceDecl>) return {Decl::source, &decl.properties};
        if constexpr (std::is_same_v<T, ast::HazardDecl>) return {Decl::hazard, &decl.properties};
      },
      declaration);
}

std::string one_decimal(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", value);
  return buffer;
}

}  // namespace

TextCounts count_text(std::string_view text) {
  TextCounts counts;
  int in_sentence = 0;
  auto end_sentence = [&] {
    if (in_sentence == 0) return;
    ++counts.sentences;
    if (in_sentence > counts.longest_sentence) counts.longest_sentence = in_sentence;
    in_sentence = 0;
  };
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (is_letter(c) || is_digit(c)) {
      std::size_t start = i;
      // A word runs over letters, digits and inner apostrophes, hyphens or dots ("don't", "30-60",
      // "111.nhs.uk").
      while (i < text.size() && (is_letter(text[i]) || is_digit(text[i]) ||
                                 ((text[i] == '\'' || text[i] == '-' || text[i] == '.') && i + 1 < text.size() &&
                                  (is_letter(text[i + 1]) || is_digit(text[i + 1]))))) {
        ++i;
      }
      std::string word = lower(text.substr(start, i - start));
      ++counts.words;
      ++in_sentence;
      if (is_digit(word.front())) {
        counts.syllables += 1;
      } else {
        // A hyphenated (or dotted) word is read as its parts ("self-care": 2).
        std::size_t from = 0;
        int parts = 0;
        while (from <= word.size()) {
          std::size_t dash = word.find_first_of("-.", from);
          std::string part = word.substr(from, dash == std::string::npos ? std::string::npos : dash - from);
          std::erase(part, '\'');
          if (!part.empty()) parts += syllables_of(part);
          if (dash == std::string::npos) break;
          from = dash + 1;
        }
        counts.syllables += parts < 1 ? 1 : parts;
      }
      continue;
    }
    // A sentence ends at . ! ? : or ; followed by a space or the end (not inside "1.5" or "111.nhs.uk").
    if ((c == '.' || c == '!' || c == '?' || c == ':' || c == ';') &&
        (i + 1 == text.size() || std::isspace(static_cast<unsigned char>(text[i + 1])) != 0)) {
      end_sentence();
    }
    ++i;
  }
  end_sentence();
  return counts;
}

double reading_grade(const TextCounts& counts) {
  if (counts.words < 4 || counts.sentences == 0) return 0.0;
  return 0.39 * counts.words / counts.sentences + 11.8 * counts.syllables / counts.words - 15.59;
}

double reading_grade(std::string_view text) { return reading_grade(count_text(text)); }

Diagnostics readability_warnings(const std::vector<ParsedFile>& files) {
  // Warnings: `check --strict` refuses them, so the shipped rules stay at grade 8 or below.
  const Severity severity = Severity::warning;
  Diagnostics warnings;
  for (const auto& file : files) {
    for (const auto& declaration : file.ast.declarations) {
      auto [kind, properties] = kind_of(declaration);
      if (properties == nullptr) continue;
      for (const auto& property : *properties) {
        const language::PropertyKey* spec = language::find_property(property.key);
        if (spec == nullptr || (spec->patient & language::bit(kind)) == 0) continue;
        for (const auto& text : property.strings) {
          TextCounts counts = count_text(text.text);
          double grade = reading_grade(counts);
          std::string what = "`" + property.key + "` in " + std::string(language::word(kind));
          if (grade > max_reading_grade) {
            warnings.push_back({std::string(code::readability), severity, file.source->locate(text.offset),
                                what + " reads at grade " + one_decimal(grade) + " (Flesch-Kincaid; at most " +
                                    one_decimal(max_reading_grade) + " for patients)",
                                "use shorter sentences and shorter words: " + std::to_string(counts.words) + " words in " +
                                    std::to_string(counts.sentences) + " sentences, " +
                                    one_decimal(static_cast<double>(counts.syllables) / counts.words) + " syllables a word"});
          } else if (counts.longest_sentence > max_sentence_words) {
            warnings.push_back({std::string(code::readability), severity, file.source->locate(text.offset),
                                what + " has a sentence of " + std::to_string(counts.longest_sentence) + " words (at most " +
                                    std::to_string(max_sentence_words) + " for patients)",
                                "split it into shorter sentences, one idea each"});
          }
        }
      }
    }
  }
  return warnings;
}

}  // namespace triage
