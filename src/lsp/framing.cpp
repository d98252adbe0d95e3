#include "lsp/framing.hpp"

#include <cctype>
#include <istream>

namespace triage::lsp {

namespace {

// Content lengths beyond this are refused rather than allocated: no rule file comes near it, and a
// corrupt header must not make the server reserve gigabytes.
constexpr unsigned long long max_content_length = 64ULL << 20;

bool header_named(const std::string& line, const std::string& name, std::string& value) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) != std::tolower(static_cast<unsigned char>(name[i]))) {
      return false;
    }
  }
  value = line.substr(name.size() + 1);
  return true;
}

}  // namespace

FrameStatus read_frame(std::istream& in, std::string& body) {
  body.clear();
  bool have_length = false, saw_header = false;
  unsigned long long length = 0;
  std::string line, problem = "no Content-Length header";
  while (true) {
    if (!std::getline(in, line)) return FrameStatus::end;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      if (!saw_header) continue;  // stray blank lines between frames are harmless
      break;
    }
    saw_header = true;
    std::string value;
    if (!header_named(line, "Content-Length", value)) continue;  // Content-Type and the like
    std::size_t start = value.find_first_not_of(' ');
    if (start == std::string::npos || !std::isdigit(static_cast<unsigned char>(value[start]))) {
      problem = "Content-Length is not a number";
      continue;
    }
    length = 0;
    std::size_t i = start;
    for (; i < value.size() && std::isdigit(static_cast<unsigned char>(value[i])) && length <= max_content_length; ++i) {
      length = length * 10 + static_cast<unsigned>(value[i] - '0');
    }
    if (length > max_content_length) {
      problem = "Content-Length is larger than the server accepts";
      continue;
    }
    have_length = value.find_first_not_of(' ', i) == std::string::npos;
    if (!have_length) problem = "Content-Length is not a number";
  }
  if (!have_length) {
    body = problem;
    return FrameStatus::bad_header;
  }
  body.resize(length);
  if (length > 0 && !in.read(body.data(), static_cast<std::streamsize>(length))) return FrameStatus::end;
  return FrameStatus::ok;
}

std::string frame(const std::string& body) {
  return "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace triage::lsp
