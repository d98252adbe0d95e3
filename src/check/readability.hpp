#pragma once
// Reading level of the words a patient reads. SPEC.md (version 3) asks every patient-facing string
// to be at or below reading grade 8 (Flesch-Kincaid); `triage check` warns, with the string's
// location, about each one above it, so rule authors see it and `--strict` keeps the shipped rules
// clean. Which properties a patient reads is a column of the language table (parse/language.hpp).
#include <string_view>
#include <vector>

#include "check/checker.hpp"
#include "diag/diagnostic.hpp"

namespace triage {

// The highest Flesch-Kincaid grade a patient-facing string may have.
inline constexpr double max_reading_grade = 8.0;

// The longest sentence, in words, a patient-facing string may hold.
inline constexpr int max_sentence_words = 25;

// Counts of one text, as the Flesch-Kincaid formula reads them.
struct TextCounts {
  int words = 0;
  int sentences = 0;
  int syllables = 0;
  int longest_sentence = 0;  // in words
};

// Words, sentences and syllables of `text` (English; syllables by vowel groups with the usual
// silent-e rules, at least one a word; numbers count as one-syllable words).
TextCounts count_text(std::string_view text);

// Flesch-Kincaid grade level: 0.39 words/sentence + 11.8 syllables/word - 15.59. Texts of fewer
// than 4 words (labels, titles) are not graded: the formula says nothing about them, so 0.
double reading_grade(const TextCounts& counts);
double reading_grade(std::string_view text);

// A `readability` warning for every patient-facing string of `files` above max_reading_grade or
// with a sentence longer than max_sentence_words, located at the string.
Diagnostics readability_warnings(const std::vector<ParsedFile>& files);

}  // namespace triage
