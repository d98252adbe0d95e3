#include "metrics/registry.hpp"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <limits>
#include <sstream>

namespace triage::metrics {
namespace {

std::vector<prometheus::ClientMetric::Label> to_labels(const Labels& labels) {
  std::vector<prometheus::ClientMetric::Label> out;
  out.reserve(labels.size());
  for (const auto& [name, value] : labels) out.push_back({name, value});
  return out;
}

prometheus::MetricType to_type(Kind kind) {
  switch (kind) {
    case Kind::counter:
      return prometheus::MetricType::Counter;
    case Kind::gauge:
      return prometheus::MetricType::Gauge;
    case Kind::histogram:
      return prometheus::MetricType::Histogram;
  }
  return prometheus::MetricType::Untyped;
}

}  // namespace

Registry::Family& Registry::family(const std::string& name, const std::string& help, Kind kind) {
  for (auto& each : families_) {
    if (each->name == name) return *each;
  }
  families_.push_back(std::make_unique<Family>());
  Family& created = *families_.back();
  created.name = name;
  created.help = help;
  created.kind = kind;
  return created;
}

Registry::Series& Registry::series(Family& family, const Labels& labels) {
  for (auto& each : family.series) {
    if (each->labels == labels) return *each;
  }
  family.series.push_back(std::make_unique<Series>());
  family.series.back()->labels = labels;
  return *family.series.back();
}

Counter& Registry::counter(const std::string& name, const std::string& help, const Labels& labels, bool hide_zero) {
  std::lock_guard<std::mutex> lock(mutex_);
  Series& found = series(family(name, help, Kind::counter), labels);
  if (!found.counter) {
    found.counter = std::make_unique<Counter>();
    found.hide_zero = hide_zero;
  }
  return *found.counter;
}

Histogram& Registry::histogram(const std::string& name, const std::string& help, const Labels& labels,
                               const std::vector<double>& bounds) {
  std::lock_guard<std::mutex> lock(mutex_);
  Series& found = series(family(name, help, Kind::histogram), labels);
  if (!found.histogram) found.histogram = std::make_unique<Histogram>(bounds);
  return *found.histogram;
}

void Registry::callback(const std::string& name, const std::string& help, Kind kind,
                        std::function<std::vector<Sample>()> collect) {
  std::lock_guard<std::mutex> lock(mutex_);
  family(name, help, kind).collect = std::move(collect);
}

std::string Registry::exposition() const {
  std::vector<prometheus::MetricFamily> families;
  std::vector<std::pair<std::size_t, std::function<std::vector<Sample>()>>> callbacks;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    families.reserve(families_.size());
    for (const auto& family : families_) {
      prometheus::MetricFamily out;
      out.name = family->name;
      out.help = family->help;
      out.type = to_type(family->kind);
      for (const auto& series : family->series) {
        prometheus::ClientMetric metric;
        metric.label = to_labels(series->labels);
        if (series->counter) {
          if (series->hide_zero && series->counter->value() == 0) continue;
          metric.counter.value = static_cast<double>(series->counter->value());
        } else if (series->histogram) {
          Histogram::Snapshot snapshot = series->histogram->snapshot();
          for (std::size_t i = 0; i < snapshot.bounds.size(); ++i) {
            metric.histogram.bucket.push_back({snapshot.cumulative[i], snapshot.bounds[i]});
          }
          metric.histogram.bucket.push_back({snapshot.count, std::numeric_limits<double>::infinity()});
          metric.histogram.sample_count = snapshot.count;
          metric.histogram.sample_sum = snapshot.sum;
        }
        out.metric.push_back(std::move(metric));
      }
      if (family->collect) callbacks.emplace_back(families.size(), family->collect);
      families.push_back(std::move(out));
    }
  }
  // Callbacks run outside the registry's lock: they may take their owners' locks.
  for (auto& [index, collect] : callbacks) {
    prometheus::MetricFamily& out = families[index];
    for (Sample& sample : collect()) {
      prometheus::ClientMetric metric;
      metric.label = to_labels(sample.labels);
      if (out.type == prometheus::MetricType::Counter) {
        metric.counter.value = sample.value;
      } else {
        metric.gauge.value = sample.value;
      }
      out.metric.push_back(std::move(metric));
    }
  }
  std::ostringstream text;
  prometheus::TextSerializer().Serialize(text, families);
  return text.str();
}

const char* exposition_content_type() { return "text/plain; version=0.0.4; charset=utf-8"; }

}  // namespace triage::metrics
