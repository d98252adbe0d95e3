#include "loadgen/loadgen.hpp"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>

#include "serve/status_names.hpp"
#include "util/json_writer.hpp"
#include "triage/v1/triage.grpc.pb.h"

namespace triage {
namespace {

using Clock = std::chrono::steady_clock;

// One call in flight; owned by the callback that completes it.
struct Call {
  grpc::ClientContext context;
  v1::Decision response;
  v1::EvaluateBatchResponse batch_response;
  Clock::time_point started;
};

}  // namespace

LoadReport run_load(const LoadOptions& options, const std::vector<v1::EvaluateRequest>& requests) {
  // Batches made up front from the intakes, round-robin, so each call sends the same bytes again.
  std::vector<v1::EvaluateBatchRequest> batches;
  if (options.batch > 0) {
    std::size_t next = 0;
    for (std::size_t b = 0; b < requests.size(); ++b) {
      v1::EvaluateBatchRequest batch;
      for (int i = 0; i < options.batch; ++i) *batch.add_intakes() = requests[next++ % requests.size()];
      batches.push_back(std::move(batch));
    }
  }
  grpc::ChannelArguments arguments;
  // Several channels spread the calls over connections, as many kiosks would.
  std::vector<std::unique_ptr<v1::TriageService::Stub>> stubs;
  int channels = std::max(1, std::min(options.concurrency, 4));
  for (int i = 0; i < channels; ++i) {
    arguments.SetInt("channel_index", i);  // distinct arguments: distinct connections
    stubs.push_back(v1::TriageService::NewStub(
        grpc::CreateCustomChannel(options.target, grpc::InsecureChannelCredentials(), arguments)));
  }

  std::mutex mutex;
  std::condition_variable changed;
  int in_flight = 0;
  std::vector<double> latencies_ms;
  latencies_ms.reserve(1 << 20);
  LoadReport report;
  auto begin = Clock::now();
  auto end = begin + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.duration_seconds));
  long issued = 0;
  auto next_send = begin;
  auto interval = options.rate > 0 ? std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / options.rate))
                                   : Clock::duration::zero();
  while (Clock::now() < end) {
    if (options.rate > 0) {
      std::this_thread::sleep_until(next_send);
      next_send += interval;
    }
    {
      std::unique_lock<std::mutex> lock(mutex);
      changed.wait(lock, [&] { return in_flight < options.concurrency; });
      ++in_flight;
    }
    auto* call = new Call;
    call->started = Clock::now();
    call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(options.timeout_ms));
    const auto& request = requests[static_cast<std::size_t>(issued) % requests.size()];
    auto& stub = stubs[static_cast<std::size_t>(issued) % stubs.size()];
    ++issued;
    auto finished = [&, call](grpc::Status status) {
      double ms = std::chrono::duration<double, std::milli>(Clock::now() - call->started).count();
      long decisions = 0;
      if (status.ok() && options.batch == 0) decisions = 1;
      for (const auto& item : call->batch_response.results()) decisions += item.has_decision() ? 1 : 0;
      delete call;
      std::lock_guard<std::mutex> lock(mutex);
      latencies_ms.push_back(ms);
      ++report.requests;
      report.decisions += decisions;
      if (status.ok()) ++report.ok;
      else ++report.errors[status_code_name(status.error_code())];
      --in_flight;
      changed.notify_all();
    };
    if (options.batch > 0) {
      const auto& batch = batches[static_cast<std::size_t>(issued - 1) % batches.size()];
      stub->async()->EvaluateBatch(&call->context, &batch, &call->batch_response, std::move(finished));
    } else {
      stub->async()->Evaluate(&call->context, &request, &call->response, std::move(finished));
    }
  }
  {
    std::unique_lock<std::mutex> lock(mutex);
    changed.wait(lock, [&] { return in_flight == 0; });
  }
  report.elapsed_seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto percentile = [&](double p) {
    if (latencies_ms.empty()) return 0.0;
    std::size_t index = static_cast<std::size_t>(p * static_cast<double>(latencies_ms.size() - 1) + 0.5);
    return latencies_ms[index];
  };
  report.p50_ms = percentile(0.50);
  report.p90_ms = percentile(0.90);
  report.p99_ms = percentile(0.99);
  report.max_ms = latencies_ms.empty() ? 0 : latencies_ms.back();
  return report;
}

std::string to_json(const LoadOptions& options, const LoadReport& report) {
  auto fixed = [](const char* format, double value) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, format, value);
    return std::string(buffer);
  };
  return json_object([&](JsonWriter& w) {
    w.string_field("target", options.target);
    w.number_field("concurrency", options.concurrency);
    w.raw_field("rate", fixed("%g", options.rate));
    w.raw_field("duration_s", fixed("%.3f", report.elapsed_seconds));
    w.number_field("requests", report.requests);
    w.number_field("ok", report.ok);
    double rps = report.elapsed_seconds > 0 ? static_cast<double>(report.requests) / report.elapsed_seconds : 0.0;
    w.raw_field("rps", fixed("%.1f", rps));
    if (options.batch > 0) w.number_field("batch", options.batch);
    w.number_field("decisions", report.decisions);
    double dps = report.elapsed_seconds > 0 ? static_cast<double>(report.decisions) / report.elapsed_seconds : 0.0;
    w.raw_field("decisions_per_s", fixed("%.1f", dps));
    w.object_field("latency_ms", [&](JsonWriter& l) {
      l.raw_field("p50", fixed("%.3f", report.p50_ms));
      l.raw_field("p90", fixed("%.3f", report.p90_ms));
      l.raw_field("p99", fixed("%.3f", report.p99_ms));
      l.raw_field("max", fixed("%.3f", report.max_ms));
    });
    w.object_field("errors", [&](JsonWriter& e) {
      for (const auto& [name, count] : report.errors) e.number_field(name, count);
    });
  });
}

}  // namespace triage
