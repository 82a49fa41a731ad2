// The bridge's option table (see options.h) and what it drives: single settings by name, the
// argv of a bridge child, the environment, the YAML config file, validation.
#include "bridge/options.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cstdlib>

#include "bridge/recovery.h"
#include "common/duration.h"
#include "common/url.h"

namespace lnsim::bridge {
namespace {

template <typename T>
using Field = T& (*)(BridgeConfig&);

// Reads a field of a config the caller holds const; the accessor only forms a reference.
template <typename T>
const T& Read(Field<T> field, const BridgeConfig& config) {
  return field(const_cast<BridgeConfig&>(config));
}

std::string JoinList(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

StatusOr<bool> ParseSwitch(std::string_view v) {
  for (std::string_view t : {"true", "True", "TRUE", "yes", "on", "1"}) {
    if (v == t) return true;
  }
  for (std::string_view f : {"false", "False", "FALSE", "no", "off", "0"}) {
    if (v == f) return false;
  }
  return InvalidArgumentError("must be true or false");
}

template <typename T>
StatusOr<T> ParseNumber(std::string_view v, const char* what) {
  T out{};
  const char* end = v.data() + v.size();
  auto [ptr, ec] = std::from_chars(v.data(), end, out);
  if (v.empty() || ec != std::errc() || ptr != end) return InvalidArgumentError(what);
  return out;
}

template <typename T>
std::string FormatNumber(T value) {
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return ec == std::errc() ? std::string(buf, ptr) : std::string();
}

struct Row {
  std::string_view name;
  std::string_view value_name;
  std::string_view default_doc;
  std::string_view env;
  std::string_view help;
};

BridgeOption Make(const Row& r, OptionType type) {
  return BridgeOption{r.name, type, r.value_name, r.default_doc, r.env, r.help, {}, {}};
}

BridgeOption Text(const Row& r, Field<std::string> field) {
  BridgeOption o = Make(r, OptionType::kString);
  o.set = [field](BridgeConfig& c, std::string_view v) {
    field(c) = std::string(v);
    return OkStatus();
  };
  o.get = [field](const BridgeConfig& c) { return Read(field, c); };
  return o;
}

BridgeOption List(const Row& r, Field<std::vector<std::string>> field) {
  BridgeOption o = Make(r, OptionType::kList);
  o.set = [field](BridgeConfig& c, std::string_view v) {
    field(c) = SplitList(v);
    return OkStatus();
  };
  o.get = [field](const BridgeConfig& c) { return JoinList(Read(field, c)); };
  return o;
}

// `inverted`: the switch clears the field (--no-sse clears sse).
BridgeOption Switch(const Row& r, Field<bool> field, bool inverted = false) {
  BridgeOption o = Make(r, OptionType::kSwitch);
  o.set = [field, inverted](BridgeConfig& c, std::string_view v) -> Status {
    LNSIM_ASSIGN_OR_RETURN(bool on, ParseSwitch(v));
    field(c) = on != inverted;
    return OkStatus();
  };
  o.get = [field, inverted](const BridgeConfig& c) -> std::string {
    return Read(field, c) != inverted ? "true" : "false";
  };
  return o;
}

BridgeOption Time(const Row& r, Field<Duration> field) {
  BridgeOption o = Make(r, OptionType::kDuration);
  o.set = [field](BridgeConfig& c, std::string_view v) -> Status {
    LNSIM_ASSIGN_OR_RETURN(field(c), ParseDuration(v));
    return OkStatus();
  };
  o.get = [field](const BridgeConfig& c) { return FormatDuration(Read(field, c)); };
  return o;
}

template <typename T>
BridgeOption Number(const Row& r, OptionType type, Field<T> field, const char* what) {
  BridgeOption o = Make(r, type);
  o.set = [field, what](BridgeConfig& c, std::string_view v) -> Status {
    LNSIM_ASSIGN_OR_RETURN(field(c), ParseNumber<T>(v, what));
    return OkStatus();
  };
  o.get = [field](const BridgeConfig& c) { return FormatNumber(Read(field, c)); };
  return o;
}

// Where the bridge reads from and publishes to.
void AddEndpointOptions(std::vector<BridgeOption>& t) {
  t.push_back(List(
      {"linstor", "URL[,URL...]", "`$LS_CONTROLLERS`", "LS_CONTROLLERS",
       "LINSTOR controller URL(s), comma separated, tried in order"},
      [](auto& c) -> auto& { return c.linstor_urls; }));
  t.push_back(Text(
      {"linstor-ca", "PEM", "`$LS_ROOT_CA`, else the system's CAs", "LS_ROOT_CA",
       "CA certificate (PEM file or text) for https:// LINSTOR URLs"},
      [](auto& c) -> auto& { return c.linstor_tls.ca; }));
  t.push_back(Text(
      {"linstor-cert", "PEM", "`$LS_USER_CERTIFICATE`", "LS_USER_CERTIFICATE",
       "client certificate (PEM file or text) for the LINSTOR API"},
      [](auto& c) -> auto& { return c.linstor_tls.cert; }));
  t.push_back(Text(
      {"linstor-key", "PEM", "`$LS_USER_KEY`", "LS_USER_KEY",
       "private key (PEM file or text) of --linstor-cert"},
      [](auto& c) -> auto& { return c.linstor_tls.key; }));
  t.push_back(List(
      {"nats", "URL[,URL...]", "`$NATS_URL`", "NATS_URL", "NATS URL(s), comma separated"},
      [](auto& c) -> auto& { return c.nats_urls; }));
  t.push_back(Text(
      {"cluster", "NAME", "required", "", "cluster name: the third subject token and id prefix"},
      [](auto& c) -> auto& { return c.cluster; }));
  t.push_back(Switch(
      {"jetstream", "", "off", "",
       "publish to JetStream (exactly-once with consumer dedup); default is core "
       "NATS, at-most-once"},
      [](auto& c) -> auto& { return c.jetstream; }));
  t.push_back(Text(
      {"stream", "NAME", "`LINSTOR_<CLUSTER>`", "", "JetStream stream name"},
      [](auto& c) -> auto& { return c.stream; }));
  t.push_back(Text(
      {"bucket", "NAME", "`linstor_<cluster>_state`", "", "state mirror KV bucket"},
      [](auto& c) -> auto& { return c.bucket; }));
  t.push_back(Number<int>(
      {"replicas", "N", "`1`", "", "stream and bucket replicas (1..5)"}, OptionType::kInt,
      [](auto& c) -> auto& { return c.replicas; }, "must be an integer"));
}

// Timing of polls, requests and acks; NATS authentication and TLS.
void AddTimeoutAndAuthOptions(std::vector<BridgeOption>& t) {
  t.push_back(Time(
      {"dedup-window", "D", "`2m`", "", "the stream's duplicate window"},
      [](auto& c) -> auto& { return c.dedup_window; }));
  t.push_back(Time(
      {"poll-interval", "D", "`500ms`", "", "time between full polls"},
      [](auto& c) -> auto& { return c.poll_interval; }));
  t.push_back(Time(
      {"request-timeout", "D", "`2s`", "", "deadline of every LINSTOR request"},
      [](auto& c) -> auto& { return c.request_timeout; }));
  t.push_back(Time(
      {"ack-timeout", "D", "`5s`", "", "JetStream ack deadline before a retry"},
      [](auto& c) -> auto& { return c.ack_timeout; }));
  t.push_back(Time(
      {"drain-timeout", "D", "`15s`", "", "how long SIGTERM waits for acks"},
      [](auto& c) -> auto& { return c.drain_timeout; }));
  t.push_back(Text(
      {"creds", "FILE", "", "", "NATS credentials file (.creds: user JWT + seed)"},
      [](auto& c) -> auto& { return c.creds_file; }));
  t.push_back(Text(
      {"nkey-seed", "FILE", "", "", "NATS nkey user seed file (nkey auth, no JWT)"},
      [](auto& c) -> auto& { return c.nkey_seed_file; }));
  t.push_back(Text(
      {"inbox-prefix", "P", "`_INBOX`", "",
       "reply subject prefix (a user limited to its own inbox)"},
      [](auto& c) -> auto& { return c.inbox_prefix; }));
  t.push_back(Text(
      {"tls-ca", "FILE", "", "",
       "CA certificate (PEM) of the NATS server's certificate; makes NATS TLS"},
      [](auto& c) -> auto& { return c.nats_tls.ca; }));
  t.push_back(Text(
      {"tls-cert", "FILE", "", "", "client certificate (PEM) for NATS mutual TLS"},
      [](auto& c) -> auto& { return c.nats_tls.cert; }));
  t.push_back(Text(
      {"tls-key", "FILE", "", "", "private key (PEM) of --tls-cert"},
      [](auto& c) -> auto& { return c.nats_tls.key; }));
}

// Metrics, timing side channel, event thresholds, throughput and logging.
void AddOutputOptions(std::vector<BridgeOption>& t) {
  t.push_back(Text(
      {"metrics-addr", "HOST:PORT", "off", "",
       "HOST:PORT for /metrics and /healthz (port 0 = any)"},
      [](auto& c) -> auto& { return c.metrics_addr; }));
  t.push_back(Text(
      {"timing-file", "FILE", "off", "", "JSONL timing side channel (id, observed, acked)"},
      [](auto& c) -> auto& { return c.timing_file; }));
  t.push_back(Text(
      {"ready-file", "FILE", "off", "",
       "created once NATS and the stream are ready and the first full poll is done"},
      [](auto& c) -> auto& { return c.ready_file; }));
  t.push_back(Text(
      {"timing-subject", "SUBJ", "off", "", "core NATS subject for the timing side channel"},
      [](auto& c) -> auto& { return c.timing_subject; }));
  t.push_back(Number<double>(
      {"pool-low-threshold", "PCT", "`10`", "", "pool.capacity_low below this free percentage"},
      OptionType::kDouble, [](auto& c) -> auto& { return c.pool_low_threshold_percent; },
      "must be a number"));
  t.push_back(Number<double>(
      {"resync-step", "PCT", "`10`", "", "report resync progress every N points"},
      OptionType::kDouble, [](auto& c) -> auto& { return c.resync_step_percent; },
      "must be a number"));
  t.push_back(Number<size_t>(
      {"page-size", "N", "`1000`", "", "LINSTOR list page size, 0 = unpaged"}, OptionType::kSize,
      [](auto& c) -> auto& { return c.page_size; }, "must be a non-negative integer"));
  t.push_back(Number<size_t>(
      {"max-in-flight", "N", "`4096`", "", "JetStream publishes awaiting acks"}, OptionType::kSize,
      [](auto& c) -> auto& { return c.max_in_flight; }, "must be a non-negative integer"));
  t.push_back(Switch(
      {"no-sse", "", "off", "", "do not follow the SSE streams (poll only)"},
      [](auto& c) -> auto& { return c.sse; }, /*inverted=*/true));
  t.push_back(Switch(
      {"send-asap", "", "off", "",
       "write every publish to the socket at once (lowest latency, more "
       "syscalls)"},
      [](auto& c) -> auto& { return c.send_asap; }));
  t.push_back(Switch(
      {"quiet", "", "off", "", "no logs on stderr"}, [](auto& c) -> auto& { return c.quiet; }));
}

std::vector<BridgeOption> BuildTable() {
  std::vector<BridgeOption> t;
  AddEndpointOptions(t);
  AddTimeoutAndAuthOptions(t);
  AddOutputOptions(t);
  return t;
}

// Config-file spellings older than the table, read as another option (inverted for a switch).
struct Alias {
  std::string_view key;
  std::string_view option;
  bool inverted;
};
constexpr Alias kAliases[] = {{"sse", "no-sse", true}};

std::string Where(const std::string& path, const YAML::Node& at, const std::string& key) {
  return path + ":" + std::to_string(at.Mark().line + 1) + ": " + key;
}

// The text form of one config file value: a scalar as written, a sequence (lists) joined.
StatusOr<std::string> ConfigValueText(const YAML::Node& v, OptionType type) {
  if (v.IsNull()) return std::string();
  if (v.IsScalar()) return v.Scalar();
  if (v.IsSequence() && type == OptionType::kList) {
    std::vector<std::string> items;
    for (const auto& item : v) {
      if (!item.IsScalar()) return InvalidArgumentError("list items must be strings");
      items.push_back(item.Scalar());
    }
    return JoinList(items);
  }
  return InvalidArgumentError(type == OptionType::kList ? "must be a string or a list"
                                                        : "must be a single value");
}

// Applies one `key: value` entry of the config file.
Status ApplyConfigEntry(const std::string& path, const YAML::Node& key_node,
                        const YAML::Node& value, BridgeConfig* c) {
  const std::string key = key_node.IsScalar() ? key_node.Scalar() : "?";
  const std::string where = Where(path, key_node, key);
  std::string_view name = key;
  bool inverted = false;
  for (const Alias& a : kAliases) {
    if (a.key == key) {
      name = a.option;
      inverted = a.inverted;
    }
  }
  const BridgeOption* option = FindBridgeOption(name);
  if (option == nullptr) return InvalidArgumentError(where + ": unknown key");
  StatusOr<std::string> text = ConfigValueText(value, option->type);
  if (!text.ok()) return InvalidArgumentError(where + ": " + text.status().message());
  if (inverted) {
    StatusOr<bool> on = ParseSwitch(*text);
    if (!on.ok()) return InvalidArgumentError(where + ": " + on.status().message());
    *text = *on ? "false" : "true";
  }
  Status st = option->set(*c, *text);
  if (!st.ok()) return InvalidArgumentError(where + ": '" + *text + "' " + st.message());
  return OkStatus();
}

}  // namespace

const std::vector<BridgeOption>& BridgeOptions() {
  static const std::vector<BridgeOption> table = BuildTable();
  return table;
}

const BridgeOption* FindBridgeOption(std::string_view name) {
  for (const auto& o : BridgeOptions()) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

Status SetBridgeOption(BridgeConfig& config, std::string_view name, std::string_view value) {
  const BridgeOption* option = FindBridgeOption(name);
  if (option == nullptr) {
    return InvalidArgumentError("unknown bridge option '" + std::string(name) + "'");
  }
  Status st = option->set(config, value);
  if (!st.ok()) {
    return InvalidArgumentError("--" + std::string(name) + " '" + std::string(value) +
                                "': " + st.message());
  }
  return OkStatus();
}

std::vector<std::string> BridgeArgv(const BridgeConfig& config) {
  static const BridgeConfig defaults;
  std::vector<std::string> argv;
  for (const auto& o : BridgeOptions()) {
    const std::string value = o.get(config);
    if (value == o.get(defaults)) continue;
    argv.push_back("--" + std::string(o.name));
    if (o.type != OptionType::kSwitch) argv.push_back(value);
  }
  return argv;
}

Status ApplyBridgeEnvironment(BridgeConfig* config,
                              const std::function<const char*(const char*)>& getenv) {
  for (const auto& o : BridgeOptions()) {
    if (o.env.empty()) continue;
    const char* value = getenv(std::string(o.env).c_str());
    if (value == nullptr || *value == '\0') continue;
    Status st = o.set(*config, value);
    if (!st.ok()) return InvalidArgumentError("$" + std::string(o.env) + ": " + st.message());
  }
  return OkStatus();
}

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string item(text.substr(start, comma - start));
    while (!item.empty() && item.back() == ' ') item.pop_back();
    while (!item.empty() && item.front() == ' ') item.erase(0, 1);
    if (!item.empty()) out.push_back(item);
    start = comma + 1;
  }
  return out;
}

Status LoadBridgeConfigFile(const std::string& path, BridgeConfig* c) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return NotFoundError("config file '" + path + "' cannot be read");
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  if (root.IsNull()) return OkStatus();
  if (!root.IsMap()) return InvalidArgumentError(path + ": the config must be a mapping");
  for (const auto& kv : root) {
    LNSIM_RETURN_IF_ERROR(ApplyConfigEntry(path, kv.first, kv.second, c));
  }
  return OkStatus();
}

Status ValidateBridgeConfig(BridgeConfig* c) {
  if (c->linstor_urls.empty()) {
    return InvalidArgumentError("no LINSTOR controller: give --linstor or set LS_CONTROLLERS");
  }
  for (auto& u : c->linstor_urls) {
    auto normalized = NormalizeControllerUrl(u);
    if (!normalized.ok())
      return InvalidArgumentError("--linstor: " + normalized.status().message());
    u = *normalized;
  }
  if (c->nats_urls.empty())
    return InvalidArgumentError("no NATS server: give --nats or set NATS_URL");
  const std::string nats = JoinList(c->nats_urls);
  if (Status st = CheckNatsUrls(nats); !st.ok()) {
    return InvalidArgumentError("--nats '" + nats + "': " + st.message());
  }
  if (!c->metrics_addr.empty()) {
    if (auto hp = ParseHostPort(c->metrics_addr, -1, /*allow_zero=*/true);
        !hp.ok() || hp->port < 0) {
      return InvalidArgumentError("--metrics-addr '" + c->metrics_addr +
                                  "': " + (hp.ok() ? "want HOST:PORT" : hp.status().message()));
    }
  }
  if (c->cluster.empty()) return InvalidArgumentError("--cluster is required");
  if (c->replicas < 1 || c->replicas > 5) return InvalidArgumentError("--replicas must be 1..5");
  if (c->poll_interval <= Duration::zero())
    return InvalidArgumentError("--poll-interval must be > 0");
  if (c->request_timeout <= Duration::zero()) {
    return InvalidArgumentError("--request-timeout must be > 0");
  }
  if (c->pool_low_threshold_percent < 0 || c->pool_low_threshold_percent > 100) {
    return InvalidArgumentError("--pool-low-threshold must be a percentage 0..100");
  }
  if (!c->timing_file.empty() && !c->timing_subject.empty()) {
    return InvalidArgumentError("--timing-file and --timing-subject are exclusive");
  }
  if (c->max_in_flight == 0) return InvalidArgumentError("--max-in-flight must be > 0");
  if (!c->creds_file.empty() && !c->nkey_seed_file.empty()) {
    return InvalidArgumentError(
        "--creds and --nkey-seed are exclusive (a .creds file holds its seed)");
  }
  LNSIM_RETURN_IF_ERROR(c->nats_tls.Validate("--tls"));
  if (c->linstor_tls.any()) LNSIM_RETURN_IF_ERROR(LoadLinstorTls(c->linstor_tls).status());
  if (c->stream.empty()) c->stream = DefaultStreamName(c->cluster);
  if (c->bucket.empty()) c->bucket = DefaultBucketName(c->cluster);
  return OkStatus();
}

}  // namespace lnsim::bridge
