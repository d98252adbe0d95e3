// `triage fmt [-w | --check] FILES…`, like `opa fmt`.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "diag/render.hpp"
#include "diag/source_set.hpp"
#include "fmt/format.hpp"
#include "util/files.hpp"

namespace triage::cli {

namespace {

const CommandSpec fmt_spec{"fmt",
                           "usage: triage fmt [-w | --check] FILES…\n"
                           "  prints the formatted files; -w rewrites them; --check lists those not formatted (exit 1)\n",
                           {"-w", "--write", "--check"},
                           {},
                           /*positionals=*/true};

}  // namespace

int run_fmt(const std::vector<std::string>& args, Io io) {
  Options options;
  int parsed = exit_ok;
  if (!parse_command_line(args, fmt_spec, options, io, parsed)) return parsed;
  bool write = options.flag("-w") || options.flag("--write"), check = options.flag("--check");
  const std::vector<std::string>& files = options.positionals;
  if (files.empty() || (write && check)) {
    io.err << fmt_spec.usage;
    return exit_failure;
  }
  int code = exit_ok;
  for (const auto& path : files) {
    std::string text;
    if (!read_text_file(path, text)) {
      io.err << "triage fmt: cannot read " << path << "\n";
      code = exit_failure;
      continue;
    }
    SourceSet sources;
    const SourceFile& source = sources.add(path, text);
    FormatResult formatted = format_rules(source);
    if (!formatted.diagnostics.empty()) {
      io.err << render_all(formatted.diagnostics, sources);
      code = exit_failure;
      continue;
    }
    if (check) {
      if (formatted.text != text) {
        io.out << path << "\n";
        code = exit_failure;
      }
    } else if (write) {
      if (formatted.text != text) {
        // Write beside the file and rename over it, so a full disk never leaves half a rule file.
        std::string temporary = path + ".fmt-tmp";
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out << formatted.text;
        out.close();
        std::error_code error;
        if (!out || (std::filesystem::rename(temporary, path, error), error)) {
          std::filesystem::remove(temporary, error);
          io.err << "triage fmt: cannot write " << path << "\n";
          code = exit_failure;
        }
      }
    } else {
      io.out << formatted.text;
    }
  }
  return code;
}

}  // namespace triage::cli
