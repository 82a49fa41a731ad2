// nats-server lifecycle: -p -1 / -m -1 on first start (the server picks free ports and writes
// them to a ports file), the same explicit ports on every restart, readiness by /healthz.
#include "harness/nats_server.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "common/tls_certs.h"
#include "harness/internal/http_get.h"

namespace lnsim::harness {
namespace {

namespace fs = std::filesystem;

constexpr Duration kProbeTimeout = std::chrono::milliseconds(500);
constexpr Duration kProbeInterval = std::chrono::milliseconds(10);

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Port from "nats://127.0.0.1:4222" or "http://127.0.0.1:8222"; 0 when absent.
int PortOf(const std::string& url) {
  const size_t colon = url.rfind(':');
  if (colon == std::string::npos) return 0;
  return atoi(url.c_str() + colon + 1);
}

// Bounded pause between probes, on the server's clock. Polling a condition with a deadline is
// the synchronisation; the pause only keeps the loop from spinning.
void Pause(const Clock& clock) { clock.SleepFor(kProbeInterval); }

}  // namespace

std::string DefaultNatsServerBinary() {
  std::vector<std::string> candidates;
  if (const char* path = getenv("PATH"); path != nullptr) {
    std::stringstream dirs(path);
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
      if (!dir.empty()) candidates.push_back(dir + "/nats-server");
    }
  }
  for (const char* dir : {"/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin"}) {
    candidates.push_back(std::string(dir) + "/nats-server");
  }
  for (const auto& candidate : candidates) {
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "/usr/sbin/nats-server";
}

StatusOr<std::unique_ptr<NatsServer>> NatsServer::Start(const NatsServerOptions& given,
                                                        const Clock& clock) {
  NatsServerOptions options = given;
  if (options.binary.empty()) options.binary = DefaultNatsServerBinary();
  if (access(options.binary.c_str(), F_OK) != 0) {
    return UnavailableError("nats-server binary '" + options.binary +
                            "' not found (install Debian's nats-server or pass "
                            "--nats-server-bin PATH)");
  }
  if (access(options.binary.c_str(), X_OK) != 0) {
    return UnavailableError("nats-server binary '" + options.binary + "' is not executable");
  }
  if (!options.tls_cert.empty() || !options.tls_key.empty()) {
    LNSIM_RETURN_IF_ERROR(tls::CheckReadableFile(options.tls_cert, "nats-server TLS certificate"));
    LNSIM_RETURN_IF_ERROR(tls::CheckReadableFile(options.tls_key, "nats-server TLS key"));
  }
  if (options.tls_verify && options.tls_ca.empty()) {
    return InvalidArgumentError("nats-server: verifying client certificates needs a CA (tls_ca)");
  }
  if (!options.tls_ca.empty()) {
    LNSIM_RETURN_IF_ERROR(tls::CheckReadableFile(options.tls_ca, "nats-server TLS CA"));
  }
  std::string work_dir = options.work_dir;
  bool temp_dir = false;
  if (work_dir.empty()) {
    const char* tmp = getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/lnsim-nats-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) {
      return InternalError("nats-server: cannot create a temp dir from '" + tmpl + "'");
    }
    work_dir = tmpl;
    temp_dir = true;
  } else {
    std::error_code ec;
    fs::create_directories(work_dir, ec);
    if (ec) return InternalError("nats-server: cannot create '" + work_dir + "': " + ec.message());
  }
  std::unique_ptr<NatsServer> server(new NatsServer(options, clock, work_dir, temp_dir));
  server->port_ = options.port;
  server->monitor_port_ = options.monitor_port;
  LNSIM_RETURN_IF_ERROR(server->Launch(options.wait_ready));
  return server;
}

NatsServer::NatsServer(NatsServerOptions options, const Clock& clock, std::string work_dir,
                       bool temp_dir)
    : options_(std::move(options)),
      clock_(clock),
      work_dir_(std::move(work_dir)),
      temp_dir_(temp_dir) {}

NatsServer::~NatsServer() {
  Status ignored = Stop();
  (void)ignored;
  child_.reset();
  if (temp_dir_ && !options_.keep_work_dir) {
    std::error_code ec;
    fs::remove_all(work_dir_, ec);
  }
}

std::string NatsServer::url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
std::string NatsServer::monitor_url() const {
  return "http://127.0.0.1:" + std::to_string(monitor_port_);
}
std::string NatsServer::store_dir() const { return work_dir_ + "/store"; }
std::string NatsServer::log_path() const { return work_dir_ + "/nats-server.log"; }

bool NatsServer::Running() { return child_ != nullptr && child_->Running(); }

pid_t NatsServer::pid() const {
  return child_ != nullptr && !child_->exit_status() ? child_->pid() : 0;
}

std::string NatsServer::LogTail(size_t max_bytes) const {
  std::string log = ReadFile(log_path());
  if (log.size() > max_bytes) log = "..." + log.substr(log.size() - max_bytes);
  return log;
}

Status NatsServer::Launch(bool wait_ready) {
  // Stale ports files from an earlier incarnation must not be mistaken for this one's.
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(work_dir_, ec)) {
    if (entry.path().extension() == ".ports") fs::remove(entry.path(), ec);
  }
  ChildOptions child_options;
  child_options.argv = {options_.binary,
                        "-a",
                        "127.0.0.1",
                        "-p",
                        std::to_string(port_ == 0 ? -1 : port_),
                        "-m",
                        std::to_string(monitor_port_ == 0 ? -1 : monitor_port_),
                        "-n",
                        options_.server_name,
                        "--ports_file_dir",
                        work_dir_};
  if (options_.jetstream) {
    child_options.argv.insert(child_options.argv.end(), {"-js", "-sd", store_dir()});
  }
  if (!options_.tls_cert.empty()) {
    child_options.argv.insert(child_options.argv.end(), {"--tls", "--tlscert", options_.tls_cert,
                                                         "--tlskey", options_.tls_key});
    if (!options_.tls_ca.empty()) {
      child_options.argv.insert(child_options.argv.end(), {"--tlscacert", options_.tls_ca});
    }
    if (options_.tls_verify) child_options.argv.push_back("--tlsverify");
  }
  if (!options_.config_file.empty()) {
    child_options.argv.insert(child_options.argv.end(), {"-c", options_.config_file});
  }
  child_options.argv.insert(child_options.argv.end(), options_.extra_args.begin(),
                            options_.extra_args.end());
  child_options.log_path = log_path();
  {
    std::ofstream marker(log_path(), std::ios::app);
    marker << "---- lnsim: starting";
    for (const auto& arg : child_options.argv) marker << ' ' << arg;
    marker << "\n";
  }
  auto child = ChildProcess::Spawn(child_options, clock_);
  if (!child.ok()) return child.status().WithPrefix("nats-server");
  child_ = std::move(child).value();
  const Duration deadline = clock_.Now() + options_.ready_timeout;
  Status status = (port_ == 0 || monitor_port_ == 0) ? DiscoverPorts(deadline) : OkStatus();
  if (status.ok() && wait_ready) status = WaitReady(deadline);
  if (!status.ok()) {
    child_->Kill();
    return status;
  }
  return OkStatus();
}

Status NatsServer::ExitedDuringStartup() {
  const std::string tail = LogTail();
  const std::string why = child_->exit_status() ? child_->exit_status()->ToString() : "exited";
  if (tail.find("address already in use") != std::string::npos) {
    return UnavailableError("nats-server: port " + std::to_string(port_) + " or monitoring port " +
                            std::to_string(monitor_port_) + " already in use (" + why + "); log " +
                            log_path() + ":\n" + tail);
  }
  return UnavailableError("nats-server '" + options_.binary + "' " + why +
                          " during start-up; log " + log_path() + ":\n" + tail);
}

Status NatsServer::DiscoverPorts(Duration deadline) {
  // nats-server writes <executable>_<pid>.ports once it listens.
  std::string suffix = std::to_string(child_->pid());
  suffix.insert(suffix.begin(), '_');
  suffix.append(".ports");
  while (true) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(work_dir_, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.size() < suffix.size() ||
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
        continue;
      }
      auto json = nlohmann::json::parse(ReadFile(entry.path().string()), nullptr, false);
      if (json.is_discarded()) continue;  // half-written: read again
      if (json.contains("nats") && json["nats"].is_array() && !json["nats"].empty()) {
        port_ = PortOf(json["nats"][0].get<std::string>());
      }
      if (json.contains("monitoring") && json["monitoring"].is_array() &&
          !json["monitoring"].empty()) {
        monitor_port_ = PortOf(json["monitoring"][0].get<std::string>());
      }
      if (port_ > 0 && monitor_port_ > 0) return OkStatus();
    }
    if (!child_->Running()) return ExitedDuringStartup();
    if (clock_.Now() >= deadline) {
      return DeadlineExceededError("nats-server did not report its ports within " +
                                   std::to_string(options_.ready_timeout.count() / 1000000) +
                                   " ms; log " + log_path() + ":\n" + LogTail());
    }
    Pause(clock_);
  }
}

Status NatsServer::WaitReady(Duration deadline) {
  Status last = OkStatus();
  while (true) {
    auto reply = internal::HttpGet("127.0.0.1", monitor_port_, "/healthz", kProbeTimeout, clock_);
    if (reply.ok() && reply->status == 200) return OkStatus();
    last = reply.ok() ? UnavailableError("/healthz answered " + std::to_string(reply->status) +
                                         ": " + reply->body)
                      : reply.status();
    if (!child_->Running()) return ExitedDuringStartup();
    if (clock_.Now() >= deadline) {
      return DeadlineExceededError(
          "nats-server on port " + std::to_string(port_) + " not ready within " +
          std::to_string(options_.ready_timeout.count() / 1000000) +
          " ms (last probe: " + last.ToString() + "); log " + log_path() + ":\n" + LogTail());
    }
    Pause(clock_);
  }
}

Status NatsServer::WaitUntilReady() {
  if (child_ == nullptr) return FailedPreconditionError("nats-server is not running");
  const Status status = WaitReady(clock_.Now() + options_.ready_timeout);
  if (!status.ok()) child_->Kill();
  return status;
}

Status NatsServer::Stop() {
  if (child_ == nullptr) return OkStatus();
  const ExitStatus status = child_->Stop(options_.stop_grace);
  child_.reset();
  // SIGTERM makes nats-server exit 0 after a clean shutdown; anything else was a crash or a kill.
  if (!status.exited && status.signal != SIGTERM) {
    return InternalError("nats-server did not stop cleanly: " + status.ToString());
  }
  return OkStatus();
}

void NatsServer::Kill9() {
  if (child_ == nullptr) return;
  child_->Kill();
  child_.reset();
}

Status NatsServer::Restart() {
  if (child_ != nullptr) LNSIM_RETURN_IF_ERROR(Stop());
  return Launch(/*wait_ready=*/true);
}

StatusOr<std::string> NatsServer::Version() {
  if (!version_.empty()) return version_;
  LNSIM_ASSIGN_OR_RETURN(auto reply, internal::HttpGet("127.0.0.1", monitor_port_, "/varz",
                                                       std::chrono::seconds(2), clock_));
  auto json = nlohmann::json::parse(reply.body, nullptr, false);
  if (json.is_discarded() || !json.contains("version") || !json["version"].is_string()) {
    return DataLossError(monitor_url() + "/varz: no \"version\" in the reply");
  }
  version_ = json["version"].get<std::string>();
  return version_;
}

StatusOr<std::string> NatsServer::QueryVersion(const std::string& binary, const Clock& clock) {
  LNSIM_ASSIGN_OR_RETURN(std::string out,
                         RunAndCapture({binary, "--version"}, std::chrono::seconds(5), clock));
  // "nats-server: v2.9.10"
  const size_t v = out.rfind(" v");
  if (v == std::string::npos) return DataLossError(binary + " --version: unexpected '" + out + "'");
  std::string version = out.substr(v + 2);
  while (!version.empty() && (version.back() == '\n' || version.back() == ' ')) version.pop_back();
  return version;
}

}  // namespace lnsim::harness
