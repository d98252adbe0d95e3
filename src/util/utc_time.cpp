#include "util/utc_time.hpp"

#include <cstdio>
#include <ctime>

namespace triage {

std::string utc_time(std::int64_t micros) {
  std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char date[40];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[64];
  std::snprintf(out, sizeof out, "%s.%06lldZ", date, static_cast<long long>(micros % 1000000));
  return out;
}

}  // namespace triage
