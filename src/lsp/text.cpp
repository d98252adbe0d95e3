#include "lsp/text.hpp"

#include <algorithm>

namespace triage::lsp {

namespace {

// The length in bytes of the UTF-8 sequence starting with `lead` (1 for stray bytes, so a broken
// file still advances).
std::size_t sequence_length(unsigned char lead) {
  if (lead >= 0xF0 && lead < 0xF8) return 4;
  if (lead >= 0xE0) return lead < 0xF0 ? 3 : 1;
  if (lead >= 0xC0) return 2;
  return 1;
}

}  // namespace

TextIndex::TextIndex(std::string_view text, bool utf16) : text_(text), utf16_(utf16) {
  starts_.push_back(0);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') starts_.push_back(i + 1);
  }
}

std::string_view TextIndex::line(std::size_t index) const {
  std::size_t start = starts_[index];
  std::size_t end = index + 1 < starts_.size() ? starts_[index + 1] - 1 : text_.size();
  return text_.substr(start, end - start);
}

std::size_t TextIndex::offset(Position position) const {
  if (position.line >= starts_.size()) return text_.size();
  std::string_view text = line(position.line);
  if (!utf16_) return starts_[position.line] + std::min(position.character, text.size());
  std::size_t units = 0, i = 0;
  while (i < text.size() && units < position.character) {
    std::size_t length = std::min(sequence_length(static_cast<unsigned char>(text[i])), text.size() - i);
    units += length == 4 ? 2 : 1;
    i += length;
  }
  return starts_[position.line] + i;
}

Position TextIndex::position(std::size_t offset) const {
  offset = std::min(offset, text_.size());
  std::size_t index = static_cast<std::size_t>(std::upper_bound(starts_.begin(), starts_.end(), offset) - starts_.begin()) - 1;
  std::size_t start = starts_[index];
  if (!utf16_) return {index, offset - start};
  std::size_t units = 0;
  for (std::size_t i = start; i < offset;) {
    std::size_t length = sequence_length(static_cast<unsigned char>(text_[i]));
    units += length == 4 ? 2 : 1;
    i += length;
  }
  return {index, units};
}

Position TextIndex::from_line_column(std::size_t line_number, std::size_t column) const {
  if (line_number == 0) return {0, 0};
  std::size_t index = std::min(line_number - 1, starts_.size() - 1);
  std::size_t bytes = std::min(column == 0 ? 0 : column - 1, line(index).size());
  return position(starts_[index] + bytes);
}

Range TextIndex::whole() const { return {{0, 0}, position(text_.size())}; }

bool is_name_byte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

std::pair<std::size_t, std::size_t> token_at(std::string_view text, std::size_t offset) {
  if (offset >= text.size()) return {text.size(), text.size()};
  if (text[offset] == '"') {
    std::size_t end = offset + 1;
    while (end < text.size() && text[end] != '"' && text[end] != '\n') end += text[end] == '\\' ? 2 : 1;
    return {offset, std::min(end + 1, text.size())};
  }
  if (!is_name_byte(text[offset])) {
    return {offset, std::min(text.size(), offset + sequence_length(static_cast<unsigned char>(text[offset])))};
  }
  std::size_t end = offset;
  while (end < text.size() && is_name_byte(text[end])) ++end;
  return {offset, end};
}

std::pair<std::size_t, std::size_t> name_at(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  std::size_t begin = offset, end = offset;
  while (begin > 0 && is_name_byte(text[begin - 1])) --begin;
  while (end < text.size() && is_name_byte(text[end])) ++end;
  return {begin, end};
}

}  // namespace triage::lsp
