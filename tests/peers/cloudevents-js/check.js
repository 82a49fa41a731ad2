// An independent reader of lnsim's events: nats.js + the CloudEvents JavaScript SDK.
//
// The SDK has no NATS binding of its own, so each NATS message is handed to its generic message
// reader (HTTP.toEvent) with the NATS headers as the message headers. That reader picks the
// content mode from Content-Type exactly as the CloudEvents NATS binding does: a value starting
// with application/cloudevents is structured mode, anything else (or none) is binary mode, which
// needs ce-* headers lnsim does not send. Every event is then validate()d, and the checker adds
// what the SDK leaves to the producer: the Content-Type header is present and is
// application/cloudevents+json, and `sequence` is a String (CloudEvents Sequence extension) that
// orders lexicographically within a partition key.
//
//   node check.js self-test            planted faults: the checker must reject each bad message
//   node check.js core URL -- CMD...       subscribe to linstor.v1.> (core NATS) while CMD runs
//   node check.js jetstream URL -- CMD...  run CMD, then read every stream capturing linstor.v1.
//   (exit 1 on any rejection, when CMD fails, or when fewer than $LNSIM_WANT_TYPES types arrived)
"use strict";
const { HTTP } = require("cloudevents");
const nats = require("nats");

const kContentType = "application/cloudevents+json";

// Checks one NATS message (subject, headers as {name: value}, payload text). Returns the
// CloudEvent; throws an Error naming the rule otherwise.
function checkMessage(subject, headers, payload) {
  let event;
  try {
    event = HTTP.toEvent({ headers, body: payload });
    if (Array.isArray(event)) throw new Error("a batch, not one event");
    event.validate();
  } catch (err) {
    throw new Error(`CloudEvents SDK: ${err.message.replace(/\s+/g, " ")}`);
  }
  const contentType = headers["content-type"];
  if (contentType !== kContentType) throw new Error(`Content-Type is '${contentType}', not ${kContentType}`);
  if (event.subject !== subject) throw new Error(`subject attribute '${event.subject}' != '${subject}'`);
  if (typeof event.sequence !== "string") {
    throw new Error(`sequence is a ${typeof event.sequence}, not a String (Sequence extension)`);
  }
  if (!/^[0-9]{20}$/.test(event.sequence)) throw new Error(`sequence '${event.sequence}' is not 20 digits`);
  if (!/\.v2$/.test(event.type)) throw new Error(`type '${event.type}' is not format v2`);
  return event;
}

function headersOf(msg) {
  const out = {};
  if (msg.headers) for (const [k, v] of msg.headers) out[k.toLowerCase()] = v[0];
  return out;
}

// Collects verdicts: per type counts, rejections, and sequence order per (reader, partitionkey).
class Tally {
  constructor() { this.types = new Map(); this.rejected = []; this.last = new Map(); this.count = 0; }
  add(reader, subject, headers, payload) {
    this.count++;
    try {
      const e = checkMessage(subject, headers, payload);
      this.types.set(e.type, (this.types.get(e.type) || 0) + 1);
      const key = reader + " " + e.source + " " + e.partitionkey;
      const prev = this.last.get(key);
      if (prev !== undefined && !(prev < e.sequence) && prev !== e.sequence) {
        this.rejected.push(`${reader} ${subject}: sequence ${e.sequence} after ${prev}`);
      }
      if (prev === undefined || prev < e.sequence) this.last.set(key, e.sequence);
    } catch (err) {
      this.rejected.push(`${reader} ${subject}: ${err.message}`);
    }
  }
}

function good() {
  return JSON.stringify({
    specversion: "1.0", id: "c/node.n1/1", source: "/linstor/c", type: "io.linstor.node.online.v2",
    subject: "linstor.v1.c.node.n1.online", time: "2026-01-01T00:00:00.000000000Z",
    datacontenttype: "application/json", partitionkey: "node.n1",
    sequence: "00000000000000000001", data: { node: "n1", connection_status: "ONLINE" },
  });
}

function selfTest() {
  const subject = "linstor.v1.c.node.n1.online";
  const ct = { "content-type": kContentType };
  const planted = [
    ["no Content-Type header", {}, good()],
    ["Content-Type application/json", { "content-type": "application/json" }, good()],
    ["integer sequence", ct, good().replace('"00000000000000000001"', "1")],
    ["unpadded sequence", ct, good().replace('"00000000000000000001"', '"1"')],
    ["type of format v1", ct, good().replace("online.v2", "online.v1")],
    ["no source", ct, good().replace('"source":"/linstor/c",', "")],
    ["an upper-case attribute name", ct, good().replace('"partitionkey"', '"partitionKey"')],
  ];
  let failed = 0;
  checkMessage(subject, ct, good());  // the good one passes (throws otherwise)
  for (const [name, headers, payload] of planted) {
    try {
      checkMessage(subject, headers, payload);
      console.error(`self-test: FAIL: accepted a message with ${name}`);
      failed++;
    } catch (err) {
      console.log(`self-test: rejects ${name}: ${err.message}`);
    }
  }
  return failed === 0 ? 0 : 1;
}

async function live(mode, url, argv) {
  const nc = await nats.connect({ servers: url });
  const tally = new Tally();
  const sub = mode === "core" ? nc.subscribe("linstor.v1.>") : null;
  const core = (async () => {
    if (sub) for await (const m of sub) tally.add("core", m.subject, headersOf(m), m.string());
  })();
  await nc.flush();  // the subscription is registered before the run starts
  const { spawnSync } = require("child_process");
  const run = spawnSync(argv[0], argv.slice(1), { stdio: "inherit" });
  await nc.flush();
  if (sub) sub.unsubscribe();
  await core;
  let streams = 0;
  if (mode === "core") {
    await nc.close();
    return { run, tally, streams };
  }
  const jsm = await nc.jetstreamManager();
  for await (const si of jsm.streams.list()) {
    if (!si.config.subjects.some((s) => s.startsWith("linstor.v1."))) continue;
    streams++;
    for (let seq = si.state.first_seq; seq <= si.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(si.config.name, { seq });
      const headers = {};
      if (m.header) for (const [k, v] of m.header) headers[k.toLowerCase()] = v[0];
      tally.add("jetstream " + si.config.name, m.subject, headers, m.string());
    }
  }
  await nc.close();
  return { run, tally, streams };
}

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === "self-test") process.exit(selfTest());
  if (!["core", "jetstream"].includes(args[0]) || args[2] !== "--") {
    console.error("usage: node check.js self-test | node check.js core|jetstream URL -- CMD...");
    process.exit(2);
  }
  const { run, tally, streams } = await live(args[0], args[1], args.slice(3));
  for (const [type, n] of [...tally.types].sort()) console.log(`  ${type}: ${n}`);
  console.log(`${args[0]}: checked ${tally.count} messages` +
              (args[0] === "jetstream" ? ` in ${streams} stream(s), ` : ", ") +
              `${tally.types.size} types, ${tally.rejected.length} rejected`);
  for (const r of tally.rejected.slice(0, 20)) console.error("REJECTED " + r);
  if (run.status !== 0) console.error(`the run exited ${run.status}`);
  const want = Number(process.env.LNSIM_WANT_TYPES || 0);
  if (tally.types.size < want) console.error(`saw ${tally.types.size} of ${want} event types`);
  const ok = run.status === 0 && tally.rejected.length === 0 && tally.count > 0 &&
             tally.types.size >= want && (args[0] === "core" || streams > 0);
  process.exit(ok ? 0 : 1);
}

main().catch((err) => { console.error(err); process.exit(1); });
