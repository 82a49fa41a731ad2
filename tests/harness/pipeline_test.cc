// The verifier against the real bridge logic, without sockets: the world is served by the mock's
// pure REST handlers, parsed by the bridge's LINSTOR parser, diffed by the bridge's differ,
// encoded and decoded through the CloudEvents envelope, and judged against the world's trace.
// The bridge's differ must come out clean; a differ with attach and detach swapped must not.
#include <gtest/gtest.h>

#include <map>

#include "bridge/diff.h"
#include "bridge/event.h"
#include "bridge/linstor_parse.h"
#include "bridge/snapshot.h"
#include "harness/consumer.h"
#include "harness/observation.h"
#include "harness/scenario_loader.h"
#include "harness/verifier.h"
#include "mock-linstor/rest.h"
#include "sim/world.h"

namespace lnsim::harness {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kEpochMs = 1'700'000'000'000;

struct PipelineOptions {
  int64_t poll_ms = 100;
  bool swap_attach_detach = false;
};

struct PipelineRun {
  VerifierResult result;
  size_t events = 0;
  std::map<std::string, int> by_type;
};

StatusOr<bridge::Snapshot> Poll(const mock::RestApi& api, const sim::World& world,
                                const mock::MockState& state, bridge::LinstorParser* parser) {
  bridge::Snapshot snap;
  using ParseFn = Status (bridge::LinstorParser::*)(std::string&, bridge::Snapshot*, size_t*);
  const std::pair<std::string, ParseFn> lists[] = {
      {"/v1/nodes", &bridge::LinstorParser::ParseNodes},
      {"/v1/view/storage-pools", &bridge::LinstorParser::ParseStoragePools},
      {"/v1/resource-definitions", &bridge::LinstorParser::ParseResourceDefinitions},
      {"/v1/view/resources", &bridge::LinstorParser::ParseResources},
  };
  for (const auto& [path, parse] : lists) {
    mock::HttpRequest req;
    req.method = "GET";
    req.path = path;
    if (path == "/v1/resource-definitions") req.query = {{"with_volume_definitions", "true"}};
    mock::HttpResponse resp =
        api.HandleRead(req, world.cluster(), state, world.now().count() / kMs);
    if (resp.status != 200) return InternalError(path + ": HTTP " + std::to_string(resp.status));
    size_t count = 0;
    LNSIM_RETURN_IF_ERROR((parser->*parse)(resp.body, &snap, &count));
  }
  return snap;
}

PipelineRun RunPipeline(const std::string& name, PipelineOptions options, uint64_t seed = 0) {
  auto scenario = LoadScenarioFile(std::string(LNSIM_SOURCE_DIR) + "/scenarios/" + name);
  LNSIM_CHECK(scenario.ok()) << scenario.status().ToString();
  if (seed != 0) scenario->world.seed = seed;
  auto created = sim::World::Create(scenario->world, scenario->world.seed);
  LNSIM_CHECK(created.ok()) << created.status().ToString();
  sim::World& world = **created;
  mock::RestApi api(kEpochMs);
  mock::MockState state;
  bridge::LinstorParser parser;
  bridge::DiffOptions diff_options;

  VerifierOptions vo;
  vo.observation_bound_ns = 2 * (options.poll_ms + options.poll_ms) * kMs;
  vo.match_slack_ns = 0;
  vo.pool_low_threshold_percent = diff_options.pool_low_threshold_percent;
  Verifier verifier(vo, 1);
  verifier.AddInitialState(world.cluster());
  ObservationDecoder decoder(world.cluster(), kEpochMs * kMs);

  PipelineRun run;
  bridge::Snapshot baseline;
  bool synced = false;
  std::map<std::string, uint64_t> sequences;
  size_t fed = 0;
  const int64_t end = world.RunLength().count();
  std::vector<Assertion> extras;
  for (int64_t t = 0; t <= end; t += options.poll_ms * kMs) {
    world.AdvanceTo(Duration(t));
    const auto& trace = world.trace().transitions();
    verifier.AddTransitions(world.cluster(), trace.data() + fed, trace.data() + trace.size());
    fed = trace.size();
    auto snap = Poll(api, world, state, &parser);
    LNSIM_CHECK(snap.ok()) << snap.status().ToString();
    bridge::FinalizeSnapshot(&*snap, diff_options);
    if (!synced) {
      baseline = *snap;
      synced = true;
      continue;
    }
    std::vector<bridge::DomainEvent> events = bridge::Diff(baseline, *snap, diff_options);
    baseline = bridge::NextBaseline(baseline, *snap, diff_options);
    for (bridge::DomainEvent& body : events) {
      if (options.swap_attach_detach) {
        if (body.type == bridge::EventType::kVolumeAttached) {
          body.type = bridge::EventType::kVolumeDetached;
        } else if (body.type == bridge::EventType::kVolumeDetached) {
          body.type = bridge::EventType::kVolumeAttached;
        }
      }
      bridge::Event event;
      event.cluster = "sim";
      event.body = body;
      event.partition_key = bridge::PartitionKey(body);
      event.sequence = ++sequences[event.partition_key];
      event.time_unix_ns = kEpochMs * kMs + t;
      Delivery d;
      d.payload = bridge::EncodeEvent(event);
      d.content_type = bridge::kCloudEventsJson;
      d.id = event.Id();
      d.subject = event.NatsSubject();
      d.delivered_unix_ns = event.time_unix_ns + kMs;
      Observation o;
      const Status decoded = decoder.Decode(d, &o, &extras);
      LNSIM_CHECK(decoded.ok()) << decoded.ToString();
      verifier.Observe(o, extras.data());
      ++run.events;
      ++run.by_type[std::string(bridge::EventLabel(body.type))];
    }
  }
  run.result = verifier.Finish(end, &world.cluster());
  return run;
}

std::string Samples(const VerifierResult& r) {
  std::string out;
  for (const auto& s : r.lost_samples[0]) out += "\n  lost: " + s;
  for (const auto& s : r.phantom_samples[0]) out += "\n  phantom: " + s;
  return out;
}

std::string Types(const PipelineRun& run) {
  std::string out;
  for (const auto& [type, n] : run.by_type) out += " " + type + "=" + std::to_string(n);
  return out;
}

TEST(PipelineTest, BridgeDifferOnSmokeIsJudgedClean) {
  const PipelineRun run = RunPipeline("smoke.yaml", {});
  const VerdictCounters& c = run.result.per_consumer[0];
  EXPECT_GT(run.events, 20u) << Types(run);
  EXPECT_EQ(c.lost, 0u) << Types(run) << Samples(run.result);
  EXPECT_EQ(c.phantom, 0u) << Types(run) << Samples(run.result);
  EXPECT_EQ(c.reordered, 0u);
  EXPECT_EQ(c.late, 0u);
  EXPECT_TRUE(run.result.converged[0]);
}

TEST(PipelineTest, BridgeDifferOnNodeCrashIsJudgedClean) {
  const PipelineRun run = RunPipeline("node-crash.yaml", {});
  const VerdictCounters& c = run.result.per_consumer[0];
  EXPECT_GT(run.events, 100u) << Types(run);
  EXPECT_EQ(c.lost, 0u) << Types(run) << Samples(run.result);
  EXPECT_EQ(c.phantom, 0u) << Types(run) << Samples(run.result);
  EXPECT_TRUE(run.result.converged[0]);
}

TEST(PipelineTest, DifferWithAttachAndDetachSwappedFails) {
  PipelineOptions options;
  options.swap_attach_detach = true;
  const PipelineRun run = RunPipeline("smoke.yaml", options);
  EXPECT_GT(run.result.per_consumer[0].lost, 0u) << Types(run);
  EXPECT_FALSE(run.result.converged[0]);
}

}  // namespace
}  // namespace lnsim::harness
