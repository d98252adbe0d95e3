#pragma once
// Positions in a document as LSP counts them (0-based line, column in UTF-16 code units unless the
// client chose UTF-8) and as the engine counts them (byte offsets; 1-based lines and byte columns
// in diagnostics). Rule files are mostly ASCII, but patient text may hold any character, so the
// conversion is done properly rather than assumed.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace triage::lsp {

// A 0-based line and a column in the client's units.
struct Position {
  std::size_t line = 0;
  std::size_t character = 0;
};

struct Range {
  Position start;
  Position end;
};

// One document's text with a line index.
class TextIndex {
 public:
  // `utf16`: columns count UTF-16 code units (the LSP default); else bytes (`positionEncoding` utf-8).
  TextIndex(std::string_view text, bool utf16);

  // The byte offset of a position; columns past the line's end are clamped to it.
  std::size_t offset(Position position) const;
  // The position of a byte offset (clamped to the text).
  Position position(std::size_t offset) const;
  // The position of a 1-based line and 1-based byte column, as diagnostics carry them.
  Position from_line_column(std::size_t line, std::size_t column) const;
  // The range of the whole text (for a full-document edit).
  Range whole() const;
  std::size_t line_count() const { return starts_.size(); }
  std::string_view text() const { return text_; }

 private:
  std::string_view line(std::size_t index) const;

  std::string_view text_;
  bool utf16_;
  std::vector<std::size_t> starts_;
};

// True for the bytes a rule-language name is made of.
bool is_name_byte(char c);

// The [begin, end) bytes of the thing a diagnostic or a cursor at `offset` points at: the name
// around it, a whole string literal when it is at a quote, else one byte.
std::pair<std::size_t, std::size_t> token_at(std::string_view text, std::size_t offset);

// The name touching `offset` (the cursor may be just after its last byte), or an empty range.
std::pair<std::size_t, std::size_t> name_at(std::string_view text, std::size_t offset);

}  // namespace triage::lsp
