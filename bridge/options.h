// The bridge's settings and the one table that describes them. Every setting of `lnsim bridge`
// is one row of BridgeOptions(): its name (the one spelling: the flag `--NAME` and the config
// file key `NAME`), its type, its default as docs/bridge.md shows it, its help line, the
// environment variable it falls back to, and how to read and write it in a BridgeConfig. The
// table drives the command-line flags (cli/cmd_bridge.cc), the YAML config file
// (LoadBridgeConfigFile), the argv of a bridge child (BridgeArgv) and single settings by name
// (SetBridgeOption); tests/bridge/bridge_options_test.cc checks docs/bridge.md against it.
// The defaults are BridgeConfig's member initializers; the table's text says the same (tested).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/linstor_client.h"
#include "common/clock.h"
#include "common/status.h"
#include "common/tls_certs.h"

namespace lnsim::bridge {

struct BridgeConfig {
  std::vector<std::string> linstor_urls;  // --linstor / LS_CONTROLLERS
  std::vector<std::string> nats_urls;     // --nats / NATS_URL
  std::string cluster;                    // --cluster
  bool jetstream = false;
  std::string stream;  // "" = DefaultStreamName(cluster)
  std::string bucket;  // "" = DefaultBucketName(cluster)
  int replicas = 1;
  Duration dedup_window = std::chrono::minutes(2);
  Duration poll_interval = std::chrono::milliseconds(500);
  Duration request_timeout = std::chrono::seconds(2);
  std::string creds_file;         // --creds: NATS .creds (user JWT + seed), operator-mode servers
  std::string nkey_seed_file;     // --nkey-seed: a bare nkey user's seed file
  std::string inbox_prefix;       // --inbox-prefix: reply subjects' prefix ("" = "_INBOX")
  tls::ClientTlsFiles nats_tls;   // --tls-ca/--tls-cert/--tls-key: TLS to NATS
  LinstorTlsOptions linstor_tls;  // --linstor-ca/-cert/-key (LS_ROOT_CA, ...): https LINSTOR
  std::string metrics_addr;       // "host:port"; "" = no metrics server
  std::string timing_file;        // JSONL side channel
  std::string timing_subject;     // or a core NATS subject
  std::string ready_file;  // --ready-file: created once ready (docs/scenarios.md "Readiness")
  double pool_low_threshold_percent = 10.0;
  double resync_step_percent = 10.0;
  size_t page_size = 1000;
  size_t max_in_flight = 4096;
  size_t max_outstanding = 200000;  // polls pause while more messages than this are queued
  bool sse = true;                  // --no-sse clears it
  bool send_asap = false;           // --send-asap: NatsSettings::send_asap
  bool quiet = false;               // --quiet: no logs on stderr (read by cli/)
  Duration drain_timeout = std::chrono::seconds(15);
  Duration ack_timeout = std::chrono::seconds(5);
};

enum class OptionType {
  kString,    // any text
  kList,      // comma-separated text; in the config file also a YAML sequence
  kSwitch,    // a flag without a value (--jetstream); true/false in the config file
  kInt,       // a decimal integer
  kSize,      // a non-negative decimal integer
  kDouble,    // a decimal number
  kDuration,  // 250ms, 2s, 5m (common/duration.h)
};

struct BridgeOption {
  std::string_view name;  // kebab-case: the flag --NAME and the config file key NAME
  OptionType type;
  std::string_view value_name;  // the value in help and docs ("D", "URL[,URL...]"); "" for switches
  std::string_view default_doc;  // the default as docs/bridge.md's table shows it
  std::string_view env;          // environment variable read when nothing else sets it; ""
  std::string_view help;         // one line for --help
  // Parses `value` (the flag's text; "true"/"false" for a switch) into the config. The error
  // says what is wrong with the value only (callers add where it came from).
  std::function<Status(BridgeConfig&, std::string_view value)> set;
  // The setting as text that `set` reads back ("true"/"false" for a switch).
  std::function<std::string(const BridgeConfig&)> get;
};

// Every option, in the order of `--help` and docs/bridge.md.
const std::vector<BridgeOption>& BridgeOptions();
// The row called `name` (without dashes), or nullptr.
const BridgeOption* FindBridgeOption(std::string_view name);

// Sets one option by name from its text form. kInvalidArgument "--NAME 'VALUE': what is wrong"
// for a bad value, "unknown bridge option 'NAME'" for a name that is not in the table.
Status SetBridgeOption(BridgeConfig& config, std::string_view name, std::string_view value);

// The arguments (after `lnsim bridge`) that give a bridge child `config`: "--NAME VALUE" (or
// "--NAME" for a switch that is on) for every option whose value differs from BridgeConfig{}'s,
// in table order. Parsing them back yields a config equal in every option.
std::vector<std::string> BridgeArgv(const BridgeConfig& config);

// Sets every option whose environment variable is set and non-empty (via `getenv`).
Status ApplyBridgeEnvironment(BridgeConfig* config,
                              const std::function<const char*(const char*)>& getenv);

// Reads a YAML mapping whose keys are the option names of BridgeOptions() into *config (the
// config file's only older spelling, `sse: BOOL`, is read as the inverse of `no-sse`). Unknown
// keys and bad values are errors "FILE:LINE: key: what is wrong" (kInvalidArgument); a missing
// file is kNotFound.
Status LoadBridgeConfigFile(const std::string& path, BridgeConfig* config);
// Checks required fields and normalises URLs. kInvalidArgument naming the field.
Status ValidateBridgeConfig(BridgeConfig* config);
// Splits "a,b , c" into {"a","b","c"}.
std::vector<std::string> SplitList(std::string_view text);

}  // namespace lnsim::bridge
