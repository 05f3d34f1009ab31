#include "nissa/store/aggregates_checkpoint.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "nissa/store/checkpoint.pb.h"
#include "proto/envelope_codec.h"

namespace esper::nissa {
namespace {

void save_sketch(const QuantileSketch& sketch, SketchCheckpoint* out) {
  out->set_relative_accuracy(sketch.relative_accuracy());
  for (const auto& [i, n] : sketch.positive_buckets()) (*out->mutable_positive())[i] = n;
  for (const auto& [i, n] : sketch.negative_buckets()) (*out->mutable_negative())[i] = n;
  out->set_zero(sketch.zero_count());
}

QuantileSketch load_sketch(const SketchCheckpoint& in) {
  QuantileSketch sketch(in.relative_accuracy() > 0 ? in.relative_accuracy()
                                                   : QuantileSketch::kDefaultRelativeAccuracy);
  for (const auto& [i, n] : in.positive()) sketch.add_bucket(false, i, n);
  for (const auto& [i, n] : in.negative()) sketch.add_bucket(true, i, n);
  sketch.add_zero(in.zero());
  return sketch;
}

}  // namespace

AggregatesSnapshot::AggregatesSnapshot()
    : arena_(std::make_unique<google::protobuf::Arena>()),
      checkpoint_(google::protobuf::Arena::CreateMessage<AggregatesCheckpoint>(arena_.get())) {
  checkpoint_->set_version(1);
  checkpoint_->set_written_unix_ns(proto::now_unix_ns());
}

AggregatesSnapshot::AggregatesSnapshot(const MetricAggregator& aggregator) : AggregatesSnapshot() {
  capture(aggregator, 0, aggregator.series_count());
}

void AggregatesSnapshot::capture(const MetricAggregator& aggregator, std::size_t from, std::size_t to) {
  AggregatesCheckpoint& checkpoint = *checkpoint_;
  for (std::size_t i = from; i < to; ++i) {
    const Series& s = aggregator.series_at(i);
    SeriesCheckpoint* out = checkpoint.add_series();
    out->set_source(s.key.source);
    out->set_name(s.key.name);
    for (const auto& [k, v] : s.key.attributes) (*out->mutable_attributes())[k] = v;
    out->set_kind(s.kind);
    out->set_unit(s.unit);
    const SeriesStats::State st = s.stats.state();
    out->set_count(st.count);
    out->set_sum(st.sum);
    out->set_min(st.min);
    out->set_max(st.max);
    out->set_last(st.last);
    out->set_last_time_ms(st.last_time_ms);
    out->set_ewma(st.ewma);
    for (double v : st.window) out->add_window(v);
    if (s.stats.sketch()) save_sketch(*s.stats.sketch(), out->mutable_sketch());
    for (const auto& [start, cell] : s.rollups.buckets()) {
      CellCheckpoint* c = out->add_buckets();
      c->set_start_ms(start);
      c->set_count(cell.count);
      c->set_sum(cell.sum);
      c->set_sum_sq(cell.sum_sq);
      c->set_increase(cell.increase);
      c->set_min(cell.min);
      c->set_max(cell.max);
      if (cell.sketch) save_sketch(*cell.sketch, c->mutable_sketch());
    }
  }
}

AggregatesSnapshot::~AggregatesSnapshot() = default;  // The arena frees the checkpoint at once.

std::string AggregatesSnapshot::serialize() const {
  std::string bytes;
  checkpoint_->SerializeToString(&bytes);
  return bytes;
}

std::string serialize_aggregates(const MetricAggregator& aggregator) {
  return AggregatesSnapshot(aggregator).serialize();
}

std::size_t restore_aggregates(MetricAggregator& aggregator, const std::string& bytes) {
  AggregatesCheckpoint checkpoint;
  if (!checkpoint.ParseFromString(bytes) || checkpoint.version() != 1) {
    throw std::runtime_error("not a version 1 aggregates checkpoint");
  }
  for (const SeriesCheckpoint& in : checkpoint.series()) {
    Series& s = aggregator.restore_series(SeriesKey::from(in.source(), in.name(), in.attributes()),
                                          in.kind(), in.unit());
    SeriesStats::State st;
    st.count = in.count();
    st.sum = in.sum();
    st.min = in.min();
    st.max = in.max();
    st.last = in.last();
    st.last_time_ms = in.last_time_ms();
    st.ewma = in.ewma();
    st.window.assign(in.window().begin(), in.window().end());
    s.stats.restore(st);
    if (s.stats.mutable_sketch() && in.has_sketch()) *s.stats.mutable_sketch() = load_sketch(in.sketch());
    for (const CellCheckpoint& c : in.buckets()) {
      RollupCell cell;
      cell.count = c.count();
      cell.sum = c.sum();
      cell.sum_sq = c.sum_sq();
      cell.increase = c.increase();
      cell.min = c.min();
      cell.max = c.max();
      if (c.has_sketch()) cell.sketch = load_sketch(c.sketch());
      s.rollups.restore(c.start_ms(), std::move(cell));
    }
  }
  return static_cast<std::size_t>(checkpoint.series_size());
}

void restore_aggregates_file(MetricAggregator& aggregator, const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return;
  std::stringstream bytes;
  bytes << in.rdbuf();
  try {
    const std::size_t n = restore_aggregates(aggregator, bytes.str());
    spdlog::info("restored {} series from {}", n, path.string());
  } catch (const std::exception& e) {
    spdlog::error("ignoring unreadable checkpoint {}: {}", path.string(), e.what());
  }
}

}  // namespace esper::nissa
