// NatsServer: the embedded NATS bus of `lnsim run` and of every integration test. Starts Debian's
// nats-server as a child process on a free loopback port with JetStream in a temp dir, waits until
// its monitoring endpoint answers, and can stop, kill -9 and restart it keeping port and store.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "harness/child_process.h"

namespace lnsim::harness {

// Where nats-server is found when no binary is named: $PATH, then Debian's /usr/sbin (the
// package installs it there, outside a normal user's PATH), then /usr/bin, /usr/local/bin.
// Returns "/usr/sbin/nats-server" when none exists, so the error names Debian's path.
std::string DefaultNatsServerBinary();

struct NatsServerOptions {
  std::string binary;    // --nats-server-bin; empty = DefaultNatsServerBinary()
  int port = 0;          // client port; 0 = a free port chosen by the server (-p -1)
  int monitor_port = 0;  // HTTP monitoring port; 0 = a free port (-m -1)
  bool jetstream = true;
  // Holds the JetStream store (store/), the log (nats-server.log) and the ports file. Empty = a
  // fresh directory under $TMPDIR (or /tmp), removed when the NatsServer is destroyed.
  std::string work_dir;
  bool keep_work_dir = false;  // keep even a temp work dir (for post-mortems)
  std::string server_name = "lnsim";
  // TLS for client connections (nats-server --tls --tlscert --tlskey [--tlscacert --tlsverify]):
  // when tls_cert is set the server accepts TLS clients only. tls_verify also requires a client
  // certificate signed by tls_ca. The monitoring port stays plain HTTP (readiness probes).
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
  bool tls_verify = false;
  std::vector<std::string> extra_args;  // appended to the command line (e.g. cluster flags)
  // nats-server -c FILE (e.g. the operator-mode fragment of `lnsim auth init`); "" = none.
  // Command-line flags (ports, name, JetStream) still win over the file.
  std::string config_file;
  Duration ready_timeout = std::chrono::seconds(15);
  // false: Start returns once the process runs and its ports are known; call WaitUntilReady()
  // (a cluster's members only become healthy once they see each other).
  bool wait_ready = true;
  Duration stop_grace = std::chrono::seconds(5);
};

// Thread-compatible: one owner thread calls Start/Stop/Kill9/Restart; url() and the other const
// accessors may be read from any thread while the owner does not mutate. The destructor stops
// the server (SIGTERM, bounded wait, SIGKILL), reaps it and removes a temp work dir. If lnsim
// itself dies, the kernel kills the server (PR_SET_PDEATHSIG).
class NatsServer {
 public:
  // Starts the server and waits until /healthz answers 200. Errors (all naming what failed):
  //  kUnavailable: the binary is missing or not executable (names the path), the port is in use,
  //    the server exited during start-up (with the tail of its log);
  //  kDeadlineExceeded: not ready within ready_timeout (the server is killed);
  //  kInternal: the work dir cannot be created;
  //  kInvalidArgument: a TLS file is missing or unreadable (names it).
  static StatusOr<std::unique_ptr<NatsServer>> Start(const NatsServerOptions& options,
                                                     const Clock& clock);

  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;
  ~NatsServer();

  // nats://127.0.0.1:PORT. Stable across Restart().
  std::string url() const;
  int port() const { return port_; }
  int monitor_port() const { return monitor_port_; }
  std::string monitor_url() const;  // http://127.0.0.1:MPORT
  const std::string& work_dir() const { return work_dir_; }
  std::string store_dir() const;  // JetStream store, kept across Restart()
  std::string log_path() const;
  const NatsServerOptions& options() const { return options_; }

  bool Running();
  pid_t pid() const;  // 0 when not running

  // Waits until /healthz answers 200 (bounded by ready_timeout). Errors as Start's.
  Status WaitUntilReady();

  // Graceful stop: SIGTERM, wait up to stop_grace, then SIGKILL. OK when already stopped.
  Status Stop();
  // SIGKILL, as a crash: JetStream must recover from its store on Restart().
  void Kill9();
  // Starts the server again on the same ports with the same store (stopping it gracefully first
  // if it is running) and waits until ready (always, whatever wait_ready said at Start).
  // kUnavailable when the port was taken meanwhile.
  Status Restart();

  // The server's version from /varz ("2.9.10"). Cached after the first success.
  StatusOr<std::string> Version();
  // `BINARY --version` without starting a server: "2.9.10".
  static StatusOr<std::string> QueryVersion(const std::string& binary, const Clock& clock);

  // The last `max_bytes` of the server's log, for error messages.
  std::string LogTail(size_t max_bytes = 2000) const;

 private:
  NatsServer(NatsServerOptions options, const Clock& clock, std::string work_dir, bool temp_dir);
  // Spawns with the current ports (discovering them on first start), then waits until ready
  // when asked.
  Status Launch(bool wait_ready);
  Status DiscoverPorts(Duration deadline);
  Status WaitReady(Duration deadline);
  Status ExitedDuringStartup();

  NatsServerOptions options_;
  const Clock& clock_;
  std::string work_dir_;
  bool temp_dir_;
  int port_ = 0;
  int monitor_port_ = 0;
  std::string version_;
  std::unique_ptr<ChildProcess> child_;
};

}  // namespace lnsim::harness
