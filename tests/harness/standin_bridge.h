// Shared by the stand-in "team bridges" of the harness's integration tests: small Python scripts
// speaking the raw NATS client protocol, run through `bridge.command`. kStandInConnect is their
// opening: it connects to LNSIM_NATS_URL and leaves `s` (the socket), `f` (its reader) and
// `cluster` (LNSIM_CLUSTER), plus `publish_event(subject, body)` (HPUB with the CloudEvents
// Content-Type header) and `ce_sequence(n)`; the rest of a script follows it. kStandInStayUp ends
// one: it answers the server's PINGs until the run stops the bridge.
#pragma once

namespace lnsim::harness::testing {

inline constexpr char kStandInConnect[] = R"(import json, os, socket, sys, time
url = os.environ["LNSIM_NATS_URL"].split(",")[0].split("://")[-1]
host, port = url.rsplit(":", 1)
cluster = os.environ["LNSIM_CLUSTER"]
s = socket.create_connection((host, int(port)))
f = s.makefile("rb")
f.readline()  # INFO
s.sendall(b'CONNECT {"verbose":false,"pedantic":false,"headers":true}\r\nPING\r\n')
while not f.readline().startswith(b"PONG"):
    pass
def ce_sequence(n):  # the `sequence` attribute of event format v2 (docs/events.md)
    return "%020d" % n
def publish_event(subject, body):  # structured mode: the CloudEvents NATS binding's header
    hdr = b"NATS/1.0\r\nContent-Type: application/cloudevents+json\r\n\r\n"
    s.sendall(b"HPUB %s %d %d\r\n%s%s\r\n" % (subject.encode(), len(hdr), len(hdr) + len(body),
                                                hdr, body))
)";

inline constexpr char kStandInStayUp[] =
    R"(for line in f:  # stay up like a bridge until the run stops us
    if line.startswith(b"PING"):
        s.sendall(b"PONG\r\n")
)";

}  // namespace lnsim::harness::testing
