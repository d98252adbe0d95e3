#pragma once
// JSON-RPC over a byte stream as LSP frames it: `Content-Length: N\r\n` (other headers allowed and
// ignored), a blank line, then N bytes of JSON. Only the framing lives here; what the bytes mean is
// the server's business.
#include <iosfwd>
#include <string>

namespace triage::lsp {

enum class FrameStatus {
  ok,          // `body` holds one message
  bad_header,  // the header block had no usable Content-Length; `body` holds why. The block is
               // consumed, so the caller can answer a parse error and read on
  end,         // the stream ended (or ended inside a frame): the client is gone
};

// Reads one framed message from `in`.
FrameStatus read_frame(std::istream& in, std::string& body);

// `body` with its Content-Length header, ready to write.
std::string frame(const std::string& body);

}  // namespace triage::lsp
