// What `lnsim run --nats URL` leaves on a live server, and its removal at the end of the run
// (docs/deploy.md, "Live servers"). On a live server every name a run creates carries the run's
// id (8 hex digits) and what JetStream holds starts with lnsim's prefix: the cluster (subjects)
// `<cluster>-<id>`, the stream `LNSIM_<ID>_<stream>` (<stream> = nats.stream or LINSTOR_<CLUSTER>),
// the state mirror KV bucket `lnsim_<id>_<bucket>` (<bucket> = bridge.bucket or
// linstor_<cluster>_state; its stream is KV_lnsim_<id>_...) and the consumers' durables on that
// stream. The rig deletes them when it stops (also after a failed or interrupted run) unless
// --keep-stream keeps them.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "common/tls_certs.h"

namespace lnsim::harness {

struct LiveNames {
  std::string stream;                  // the run's JetStream stream
  std::string bucket;                  // the state mirror KV bucket (stream KV_<bucket>)
  std::vector<std::string> consumers;  // durable consumers on `stream`
};

// "stream LINSTOR_X_1A2B3C4D, KV bucket linstor_x_1a2b3c4d_state, durable consumers c1, c2".
std::string DescribeLiveNames(const LiveNames& names);

// Deletes the durables, then the stream, then the KV bucket, on the server(s) at `urls`. What
// does not exist (a core NATS run creates no stream) is not an error. The lines say what was
// deleted; an error names each name that could not be deleted and why.
StatusOr<std::vector<std::string>> DeleteLiveNames(const std::string& urls,
                                                   const tls::ClientTlsFiles& tls,
                                                   const LiveNames& names);

}  // namespace lnsim::harness
