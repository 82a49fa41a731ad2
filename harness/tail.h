// `lnsim tail`: prints a pipeline's events live, one readable line each, for people debugging it
// the way `nats sub` is used, but knowing the envelope (bridge/event.h) so the line shows the
// type, resource, node and the fields that matter for that type.
#pragma once

#include <atomic>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include "bridge/event.h"
#include "common/clock.h"
#include "common/status.h"
#include "common/tls_certs.h"

namespace lnsim::harness {

// "2026-11-24T09:15:01.123456789Z volume.attached pvc-1 @node-2 seq=4 [c/resource.pvc-1/4]"
// with type-specific fields (old -> new states, peer, volume number, sizes, quorum votes).
std::string FormatEventLine(const bridge::Event& event);
// A line for a message that is not a valid envelope: "<subject> undecodable: <why>: <payload>".
std::string FormatUndecodableLine(std::string_view subject, std::string_view payload,
                                  const Status& why);

struct TailOptions {
  std::string url = "nats://127.0.0.1:4222";
  std::string subject = "linstor.v1.>";
  bool jetstream = false;  // read the stream from its start (ordered ephemeral consumer), then live
  std::string stream;      // required with jetstream
  uint64_t count = 0;      // stop after this many messages; 0 = until stopped
  // Stop when nothing arrived for this long; 0 = wait forever (or until `stop`).
  Duration idle_timeout = Duration::zero();
  tls::ClientTlsFiles tls;  // --tls-ca/--tls-cert/--tls-key for a TLS server
};

// Subscribes and writes one line per message to `out` until `count` messages, the idle timeout,
// or `*stop` becoming true (checked at least every 100 ms). Returns the number of messages
// printed. kUnavailable when the server cannot be reached or the stream does not exist
// (naming it), kInvalidArgument for bad options.
StatusOr<uint64_t> RunTail(const TailOptions& options, const Clock& clock, std::ostream& out,
                           const std::atomic<bool>* stop);

}  // namespace lnsim::harness
