// Fuzz target: a clinicians' `.cases` file read and run against the shipped rules.
#include <cstdint>
#include <string>

#include "fuzz_common.hpp"
#include "ruletest/runner.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  triage::TestReport report = triage::run_cases(triage::fuzz::shipped(), {{"fuzz.cases", text}});
  (void)triage::test_report_text(report, *triage::fuzz::shipped().model, true);
  (void)triage::test_report_json(report, *triage::fuzz::shipped().model);
  return 0;
}
