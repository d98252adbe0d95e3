// `triage lsp`: the language server for rule authors, on standard input and output.
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "lsp/server.hpp"

namespace triage::cli {

namespace {

const CommandSpec lsp_spec{"lsp",
                           "usage: triage lsp [--no-analysis]\n"
                           "  a Language Server Protocol server on stdin/stdout for editors (docs/rule-authors-editor.md);\n"
                           "  --no-analysis: syntax, checks and readability only, without the safety analysis\n",
                           {"--no-analysis"},
                           {}};

}  // namespace

int run_lsp(const std::vector<std::string>& args, Io io) {
  Options options;
  int code = exit_ok;
  if (!parse_command_line(args, lsp_spec, options, io, code)) return code;
  lsp::ServerOptions server;
  server.analysis = !options.flag("--no-analysis");
  // Standard output carries the protocol and nothing else; the server writes no logs.
  return lsp::run_server(io.in, io.out, server);
}

}  // namespace triage::cli
