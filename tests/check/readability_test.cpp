// The reading-grade check of patient-facing words (SPEC.md version 3: grade 8 or below).
#include <catch2/catch.hpp>

#include "check/readability.hpp"
#include "ruleset/loader.hpp"
#include "support.hpp"

namespace triage {

TEST_CASE("text counts: words, sentences and syllables as Flesch-Kincaid reads them", "[check][readability]") {
  struct Case {
    std::string text;
    int words, sentences, syllables;
  };
  auto c = GENERATE(values<Case>({
      {"Walk for 5 minutes.", 4, 1, 5},                      // walk, for, 5 (a number is one), min-utes
      {"Stop. Call 999 now!", 4, 2, 4},
      {"Go to 111.nhs.uk today", 4, 1, 5},                  // a dot inside a word ends no sentence
      {"Your back: take care; move gently", 6, 3, 7},        // ':' and ';' end sentences
      {"minutes notes boxes places moved started", 6, 1, 10},  // 2 1 2 2 1 2
      {"self-care", 1, 1, 2},                               // hyphenated words by their parts
      {"muscle", 1, 1, 2},                                  // -le after a consonant is a syllable
      {"", 0, 0, 0},
  }));
  TextCounts counts = count_text(c.text);
  INFO(c.text);
  CHECK(counts.words == c.words);
  CHECK(counts.sentences == c.sentences);
  CHECK(counts.syllables == c.syllables);
}

TEST_CASE("reading grade: plain short sentences pass, long clinical ones do not", "[check][readability]") {
  CHECK(reading_grade("Walk at an easy pace. Let your arms swing.") < max_reading_grade);
  CHECK(reading_grade("Pain that reaches below the knee often comes from an irritated nerve in the lower back.") <
        12.0);
  CHECK(reading_grade("Contemporaneous documentation necessitates comprehensive multidisciplinary "
                      "evaluation of neurological deterioration.") > max_reading_grade);
  CHECK(reading_grade("Neck") == 0.0);  // under 4 words: not graded
}

TEST_CASE("a patient-facing text above grade 8 is a readability warning at the string", "[check][readability]") {
  std::string rules = R"(fact pain: bool
  question "Do you have pain?"
  help "Contemporaneous documentation necessitates comprehensive multidisciplinary evaluation."
derived calm = not pain
  meaning "Contemporaneous documentation necessitates comprehensive multidisciplinary evaluation."
)";
  LoadResult loaded = load_ruleset_from_texts({{"a.rules", rules}});
  REQUIRE(loaded.advisories.size() == 1);  // `meaning` is for authors, not patients
  const Diagnostic& d = loaded.advisories.front();
  CHECK(d.code == "readability");
  CHECK(d.severity == Severity::warning);
  CHECK(d.location.line == 3);
  CHECK(d.location.column == 8);
  CHECK(d.message.find("`help` in fact reads at grade") != std::string::npos);
}

TEST_CASE("a sentence over 25 words is a readability warning even at a low grade", "[check][readability]") {
  std::string rules = R"(fact pain: bool
  question "Do you have pain and is it bad and is it in the back and is it in the leg and is it in the arm and is it new?"
)";
  LoadResult loaded = load_ruleset_from_texts({{"a.rules", rules}});
  REQUIRE(loaded.advisories.size() == 1);
  CHECK(loaded.advisories.front().message.find("has a sentence of 30 words") != std::string::npos);
}

TEST_CASE("the shipped rules read at grade 8 or below", "[check][readability]") {
  std::vector<std::pair<std::string, std::string>> files = test::shipped_rule_files();
  LoadResult loaded = load_ruleset_from_texts(files);
  for (const auto& d : loaded.advisories) UNSCOPED_INFO(d.location.file << ":" << d.location.line << ": " << d.message);
  CHECK(loaded.advisories.empty());
}

}  // namespace triage
