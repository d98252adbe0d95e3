#pragma once
// gRPC status codes by their canonical names ("UNAVAILABLE"), for messages and reports.
#include <grpcpp/support/status.h>

namespace triage {

const char* status_code_name(grpc::StatusCode code);

}  // namespace triage
