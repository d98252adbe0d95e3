#pragma once
// UTC timestamps as text.
#include <cstdint>
#include <string>

namespace triage {

// RFC 3339 UTC with microseconds, from microseconds since the Unix epoch: 2026-11-21T05:20:23.988866Z
std::string utc_time(std::int64_t micros);

}  // namespace triage
