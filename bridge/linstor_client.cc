// HTTP side of the bridge (see linstor_client.h): cpp-httplib 0.11 clients with per-request
// deadlines enforced in the content receiver (httplib's timeouts are per socket read only);
// https:// URLs use httplib::SSLClient with the CA and client certificate of LinstorTls.
#include "bridge/linstor_client.h"

#include <httplib.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/duration.h"
#include "common/tls_certs.h"
#include "common/url.h"

namespace lnsim::bridge {

// Parsed once (LoadLinstorTls), immutable after. The CA reaches each client as a file
// (set_ca_cert_path): with a store instead, cpp-httplib 0.11 also loads the system's whole CA
// bundle into every new SSL_CTX (SSL_CTX_set_default_verify_paths), ~40 ms per request, and
// trusts it besides the given CA. PEM text (LS_ROOT_CA) is written to a private temp file.
class LinstorTls {
 public:
  LinstorTls() = default;
  LinstorTls(const LinstorTls&) = delete;
  LinstorTls& operator=(const LinstorTls&) = delete;
  ~LinstorTls() {
    X509_free(cert);
    EVP_PKEY_free(key);
    if (!temp_ca_file.empty()) unlink(temp_ca_file.c_str());
  }
  std::string ca_pem;        // "" = the system's default CAs
  std::string ca_file;       // the file holding ca_pem
  std::string temp_ca_file;  // ca_file when we wrote it (removed with this object)
  X509* cert = nullptr;      // client certificate, or null
  EVP_PKEY* key = nullptr;   // its key

  // A new store holding every certificate of ca_pem; null when ca_pem is empty.
  X509_STORE* NewStore() const {
    if (ca_pem.empty()) return nullptr;
    X509_STORE* store = X509_STORE_new();
    BIO* bio = BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size()));
    while (X509* c = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
      X509_STORE_add_cert(store, c);
      X509_free(c);
    }
    ERR_clear_error();  // the loop ends on "no start line"
    BIO_free(bio);
    return store;
  }
};

namespace {

std::string OpenSslError() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "not PEM";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

// `value` is PEM text or a file path; returns the PEM text.
StatusOr<std::string> ReadPem(const std::string& value, const std::string& what) {
  if (value.find("-----BEGIN") != std::string::npos) return value;
  LNSIM_RETURN_IF_ERROR(tls::CheckReadableFile(value, what));
  std::ifstream in(value, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  if (ss.str().find("-----BEGIN") == std::string::npos) {
    return InvalidArgumentError(what + " '" + value + "': not a PEM file");
  }
  return ss.str();
}

std::string Describe(const std::string& value, const std::string& what) {
  return value.find("-----BEGIN") != std::string::npos ? what + " (PEM text)"
                                                       : what + " '" + value + "'";
}

// "https://[::1]:3371" -> {true, "::1", 3371}. `base` is normalised (NormalizeControllerUrl).
struct BaseUrl {
  bool https = false;
  std::string host;
  int port = 0;
};
BaseUrl ParseBase(const std::string& base) {
  BaseUrl u;
  u.https = base.rfind("https://", 0) == 0;
  // NormalizeControllerUrl has checked the address; a base that slipped past it keeps an empty
  // host, and the request names the URL when it fails.
  auto hp = ParseHostPort(std::string_view(base).substr(u.https ? 8 : 7), u.https ? 3371 : 3370);
  if (hp.ok()) {
    u.host = hp->host;
    u.port = hp->port;
  }
  return u;
}

// A plain or TLS client for `base` (normalised URL). Server certificates are always verified
// (chain and host name).
std::unique_ptr<httplib::ClientImpl> NewHttpClient(const std::string& base, const LinstorTls* tls) {
  const BaseUrl u = ParseBase(base);
  if (!u.https) return std::make_unique<httplib::ClientImpl>(u.host, u.port);
  std::unique_ptr<httplib::SSLClient> cli;
  if (tls != nullptr && tls->cert != nullptr) {
    cli = std::make_unique<httplib::SSLClient>(u.host, u.port, tls->cert, tls->key);
  } else {
    cli = std::make_unique<httplib::SSLClient>(u.host, u.port);
  }
  cli->enable_server_certificate_verification(true);
  if (tls != nullptr && !tls->ca_file.empty()) cli->set_ca_cert_path(tls->ca_file.c_str());
  return cli;
}

// The reason a request failed, with the TLS verification error spelled out.
std::string DescribeError(httplib::Error err, const httplib::ClientImpl& cli, bool https,
                          const LinstorTls* tls) {
  std::string out = httplib::to_string(err);
  if (!https) return out;
  if ((err == httplib::Error::Read || err == httplib::Error::Write) &&
      (tls == nullptr || tls->cert == nullptr)) {
    // TLS 1.3: a server refusing the (missing) client certificate closes the connection right
    // after the client's handshake ended, so the first read (or write) fails.
    return out +
           " (the controller closed the TLS connection before answering: if it "
           "authenticates clients by certificate, give --linstor-cert and --linstor-key)";
  }
  const auto* ssl = dynamic_cast<const httplib::SSLClient*>(&cli);
  if (err == httplib::Error::SSLServerVerification && ssl != nullptr) {
    const long v = ssl->get_openssl_verify_result();
    out += std::string(": the controller's TLS certificate is not trusted (") +
           (v != X509_V_OK ? X509_verify_cert_error_string(v) : "host name mismatch") +
           "); give the CA that signed it with --linstor-ca or LS_ROOT_CA";
  } else if (err == httplib::Error::SSLConnection) {
    out +=
        ": TLS handshake failed (a controller that requires a client certificate needs "
        "--linstor-cert and --linstor-key; is it serving HTTPS on this port?)";
  } else if (err == httplib::Error::SSLLoadingCerts) {
    out += ": cannot load the CA certificates";
  }
  return out;
}

void SetTimeouts(httplib::ClientImpl& cli, Duration connect, Duration read) {
  auto split = [](Duration d, time_t* s, time_t* us) {
    const auto total_us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    *s = static_cast<time_t>(total_us / 1000000);
    *us = static_cast<time_t>(total_us % 1000000);
  };
  time_t s, us;
  split(connect, &s, &us);
  cli.set_connection_timeout(s, us);
  split(read, &s, &us);
  cli.set_read_timeout(s, us);
  cli.set_write_timeout(s, us);
}

// Distinct keys a list has filled in a snapshot: 0 nodes, 1 pools, 2 definitions, 3 replicas.
size_t DistinctItems(const Snapshot& s, size_t list) {
  switch (list) {
    case 0:
      return s.nodes.size();
    case 1:
      return s.pools.size();
    case 2:
      return s.resource_definitions.size();
    default: {
      size_t n = 0;
      for (const auto& [rd, replicas] : s.replicas) n += replicas.size();
      return n;
    }
  }
}

// Moves what list `list` parsed into `snap`.
void MergeList(Snapshot* part, size_t list, Snapshot* snap) {
  switch (list) {
    case 0:
      snap->nodes = std::move(part->nodes);
      break;
    case 1:
      snap->pools = std::move(part->pools);
      break;
    case 2:
      snap->resource_definitions = std::move(part->resource_definitions);
      break;
    default:
      snap->replicas = std::move(part->replicas);
      break;
  }
}

std::string AddPaging(const std::string& path, size_t limit, size_t offset) {
  return path + (path.find('?') == std::string::npos ? "?" : "&") +
         "limit=" + std::to_string(limit) + "&offset=" + std::to_string(offset);
}

}  // namespace

StatusOr<std::shared_ptr<const LinstorTls>> LoadLinstorTls(const LinstorTlsOptions& options) {
  auto tls = std::make_shared<LinstorTls>();
  if (!options.ca.empty()) {
    LNSIM_ASSIGN_OR_RETURN(tls->ca_pem, ReadPem(options.ca, "--linstor-ca"));
    X509_STORE* store = tls->NewStore();
    STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(store);
    const int n = objects != nullptr ? sk_X509_OBJECT_num(objects) : 0;
    X509_STORE_free(store);
    if (n == 0) {
      return InvalidArgumentError(Describe(options.ca, "--linstor-ca") + ": no certificate in it");
    }
    if (options.ca.find("-----BEGIN") == std::string::npos) {
      tls->ca_file = options.ca;
    } else {
      const char* tmp = std::getenv("TMPDIR");
      std::string path = std::string(tmp && *tmp ? tmp : "/tmp") + "/lnsim-linstor-ca-XXXXXX";
      const int fd = mkstemp(path.data());
      if (fd < 0) return InternalError("cannot write the --linstor-ca PEM text to '" + path + "'");
      const bool written = write(fd, tls->ca_pem.data(), tls->ca_pem.size()) ==
                           static_cast<ssize_t>(tls->ca_pem.size());
      close(fd);
      tls->temp_ca_file = path;  // removed with tls, also on error
      if (!written)
        return InternalError("cannot write the --linstor-ca PEM text to '" + path + "'");
      tls->ca_file = path;
    }
  }
  if (options.cert.empty() != options.key.empty()) {
    return InvalidArgumentError(
        "--linstor-cert and --linstor-key (LS_USER_CERTIFICATE and LS_USER_KEY) must be given "
        "together");
  }
  if (!options.cert.empty()) {
    LNSIM_ASSIGN_OR_RETURN(std::string cert_pem, ReadPem(options.cert, "--linstor-cert"));
    LNSIM_ASSIGN_OR_RETURN(std::string key_pem, ReadPem(options.key, "--linstor-key"));
    BIO* bio = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
    tls->cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (tls->cert == nullptr) {
      return InvalidArgumentError(Describe(options.cert, "--linstor-cert") + ": " + OpenSslError());
    }
    bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
    tls->key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (tls->key == nullptr) {
      return InvalidArgumentError(Describe(options.key, "--linstor-key") + ": " + OpenSslError());
    }
    if (X509_check_private_key(tls->cert, tls->key) != 1) {
      ERR_clear_error();
      return InvalidArgumentError(Describe(options.key, "--linstor-key") +
                                  ": does not match the certificate of --linstor-cert");
    }
  }
  return std::shared_ptr<const LinstorTls>(std::move(tls));
}

StatusOr<std::string> NormalizeControllerUrl(std::string_view url) {
  std::string u(url);
  while (!u.empty() && (u.back() == '/' || u.back() == ' ')) u.pop_back();
  while (!u.empty() && u.front() == ' ') u.erase(0, 1);
  if (u.empty()) return InvalidArgumentError("empty LINSTOR controller URL");
  if (u.find("://") == std::string::npos) u = "http://" + u;
  const bool https = u.rfind("https://", 0) == 0;
  if (!https && u.rfind("http://", 0) != 0) {
    return InvalidArgumentError("LINSTOR URL '" + std::string(url) +
                                "': scheme must be http or https");
  }
  const std::string hostport = u.substr(https ? 8 : 7);
  if (hostport.empty() || hostport.find('/') != std::string::npos) {
    return InvalidArgumentError("LINSTOR URL '" + std::string(url) +
                                "': expected http://host:port or https://host:port");
  }
  if (auto hp = ParseHostPort(hostport, 3370); !hp.ok()) {
    return InvalidArgumentError("LINSTOR URL '" + std::string(url) + "': " + hp.status().message());
  }
  // LINSTOR's defaults: HTTP on 3370, HTTPS on 3371.
  if (hostport.find(':') == std::string::npos || hostport.back() == ']') {
    u += https ? ":3371" : ":3370";
  }
  return u;
}

LinstorClient::LinstorClient(LinstorClientOptions options, const Clock& clock, Metrics* metrics,
                             Logger* logger)
    : options_(std::move(options)),
      clock_(clock),
      metrics_(metrics),
      logger_(logger),
      timeout_(options_.request_timeout) {
  LNSIM_CHECK(!options_.urls.empty()) << "LinstorClient needs at least one URL";
}

void LinstorClient::AdaptTimeout(bool timed_out) {
  const Duration floor = options_.request_timeout;
  const Duration cap = std::max(floor, options_.max_request_timeout);
  Duration next = timeout_;
  if (timed_out) {
    next = std::min(cap, timeout_ * 2);
  } else if (timeout_ > floor && slowest_ * 4 < timeout_) {
    next = std::max(floor, timeout_ / 2);
  }
  if (next != timeout_ && logger_ != nullptr) {
    logger_->Log(timed_out ? "warn" : "info",
                 timed_out ? "LINSTOR listings are slower than the request timeout; raising it"
                           : "LINSTOR listings are fast again; lowering the request timeout",
                 {{"request_timeout", FormatDurationHuman(next)}});
  }
  timeout_ = next;
}

LinstorClient::~LinstorClient() = default;

StatusOr<std::string> LinstorClient::Get(const std::string& base_url,
                                         const std::string& path_and_query) {
  auto client = NewHttpClient(base_url, options_.tls.get());
  httplib::ClientImpl& cli = *client;
  if (!cli.is_valid()) {
    return InvalidArgumentError("bad LINSTOR URL '" + base_url + "' (or unusable TLS settings)");
  }
  SetTimeouts(cli, options_.connect_timeout, timeout_);
  cli.set_keep_alive(false);
  const Duration started = clock_.Now();
  const Duration deadline = started + timeout_;
  std::string body;
  int status = 0;
  bool timed_out = false;
  httplib::Headers headers = {{"Accept", "application/json"}};
  auto res = cli.Get(
      path_and_query, headers,
      [&](const httplib::Response& r) {
        status = r.status;
        auto it = r.headers.find("Content-Length");
        if (it != r.headers.end()) {
          const size_t n = std::strtoull(it->second.c_str(), nullptr, 10);
          if (n < (size_t{1} << 33)) body.reserve(n + 64);
        }
        return true;
      },
      [&](const char* data, size_t n) {
        body.append(data, n);
        if (clock_.Now() > deadline) {
          timed_out = true;
          return false;
        }
        return true;
      });
  const std::string what = "GET " + base_url + path_and_query;
  if (timed_out) return DeadlineExceededError(what + ": no complete answer within the timeout");
  if (!res) {
    const auto err = res.error();
    if (err == httplib::Error::Read || err == httplib::Error::Write) {
      // A read that timed out shows as Error::Read in 0.11.
      if (clock_.Now() >= deadline) return DeadlineExceededError(what + ": timed out");
    }
    if (err == httplib::Error::ConnectionTimeout)
      return DeadlineExceededError(what + ": connect timed out");
    return UnavailableError(
        what + ": " +
        DescribeError(err, cli, base_url.rfind("https://", 0) == 0, options_.tls.get()));
  }
  if (status != 200) {
    std::string snippet = body.substr(0, 200);
    return InternalError(what + ": HTTP " + std::to_string(status) + " " + snippet);
  }
  slowest_ = std::max(slowest_, clock_.Now() - started);
  return body;
}

StatusOr<Snapshot> LinstorClient::FetchSnapshot(PollStats* stats) {
  const std::string& base = options_.urls[current_ % options_.urls.size()];
  stats->url = base;
  slowest_ = Duration::zero();
  Snapshot snap;
  using ParseFn = Status (LinstorParser::*)(std::string&, Snapshot*, size_t*);
  struct List {
    const char* path;
    ParseFn parse;
  };
  const List lists[] = {
      {"/v1/nodes", &LinstorParser::ParseNodes},
      {"/v1/view/storage-pools", &LinstorParser::ParseStoragePools},
      {"/v1/resource-definitions?with_volume_definitions=true",
       &LinstorParser::ParseResourceDefinitions},
      {"/v1/view/resources", &LinstorParser::ParseResources},
  };
  // Offset paging is not a snapshot: an item deleted before the current offset between two page
  // requests shifts the rest back, and the item at the page boundary is skipped (it would read
  // as deleted, then re-created a poll later). So pages overlap by a quarter, and a full page
  // that brings no key already seen means the list moved more than the overlap: the whole list
  // is fetched again (bounded), and a list that never settles is used as is and counted.
  const size_t limit = options_.page_size;
  const size_t overlap = limit >= 4 ? limit / 4 : 0;
  for (size_t li = 0; li < sizeof lists / sizeof lists[0]; ++li) {
    const List& list = lists[li];
    Snapshot part;
    constexpr int kAttempts = 3;
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
      part = Snapshot();
      bool consistent = true;
      size_t offset = 0;
      for (int page = 0;; ++page) {
        const std::string path =
            limit == 0 ? std::string(list.path) : AddPaging(list.path, limit, offset);
        auto body = Get(base, path);
        ++stats->requests;
        if (!body.ok()) {
          ++current_;
          if (body.status().code() == StatusCode::kDeadlineExceeded &&
              body.status().message().find("connect timed out") == std::string::npos) {
            AdaptTimeout(true);
          }
          if (metrics_) {
            const auto code = body.status().code();
            const std::string& m = body.status().message();
            const bool tls = m.find(": SSL") != std::string::npos ||
                             m.find("TLS connection") != std::string::npos;
            metrics_->Error(code == StatusCode::kDeadlineExceeded ? "http_timeout"
                            : code == StatusCode::kInternal       ? "http_status"
                            : tls                                 ? "http_tls"
                                                                  : "http_connect");
          }
          return body.status();
        }
        stats->bytes += body->size();
        size_t count = 0;
        const size_t before = DistinctItems(part, li);
        Status st = (parser_.*list.parse)(*body, &part, &count);
        if (!st.ok()) {
          ++current_;
          if (metrics_) metrics_->Error("parse");
          return st.WithPrefix("from " + base + path);
        }
        if (limit == 0 || count < limit) break;
        if (page > 0 && overlap > 0 && DistinctItems(part, li) - before == count) {
          consistent = false;  // no overlap hit: items may have been skipped
        }
        offset += limit - overlap;
      }
      if (consistent) break;
      if (metrics_) metrics_->Error("paging_shifted");
      if (attempt + 1 == kAttempts && logger_ != nullptr) {
        logger_->Log("warn", "list kept shifting between pages; using the last reading",
                     {{"url", base + list.path}});
      }
    }
    MergeList(&part, li, &snap);
  }
  DropReplicasWithoutDefinition(&snap);  // the lists are read one after another
  AdaptTimeout(false);
  return snap;
}

// ------------------------------------------------------------------------------------ SSE
SseWatcher::SseWatcher(std::vector<std::string> urls, const Clock& clock, Metrics* metrics,
                       Logger* logger, std::function<void(const std::string&)> on_signal,
                       std::shared_ptr<const LinstorTls> tls)
    : urls_(std::move(urls)),
      clock_(clock),
      metrics_(metrics),
      logger_(logger),
      on_signal_(std::move(on_signal)),
      tls_(std::move(tls)) {}

SseWatcher::~SseWatcher() { Stop(); }

void SseWatcher::Start() {
  stoppers_.assign(2, [] {});
  threads_.emplace_back([this] { Follow("/v1/events/drbd/promotion", true, 0); });
  threads_.emplace_back([this] { Follow("/v1/events/nodes", false, 1); });
}

void SseWatcher::Stop() {
  stop_.store(true);
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& s : stoppers_) s();
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void SseWatcher::Follow(const std::string& path, bool last_event_current, size_t slot) {
  size_t url_index = 0;
  Duration backoff = std::chrono::milliseconds(100);
  while (!stop_.load()) {
    const std::string base = urls_[url_index % urls_.size()];
    std::shared_ptr<httplib::ClientImpl> cli = NewHttpClient(base, tls_.get());
    // LINSTOR sends no keep-alives: an idle stream is normal, so the read timeout is long and a
    // timeout simply reconnects (and triggers a poll, which covers any gap).
    SetTimeouts(*cli, std::chrono::seconds(3), std::chrono::seconds(60));
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_.load()) return;
      stoppers_[slot] = [cli] { cli->stop(); };
    }
    httplib::Headers headers = {{"Accept", "text/event-stream"}};
    if (last_event_current) headers.emplace("Last-Event-ID", "current");
    SseParser parser;
    bool connected = false;
    int status = 0;
    std::vector<SseEvent> events;
    auto res = cli->Get(
        path, headers,
        [&](const httplib::Response& r) {
          status = r.status;
          if (r.status != 200) return false;
          connected = true;
          backoff = std::chrono::milliseconds(100);
          on_signal_("sse connected " + path);
          return true;
        },
        [&](const char* data, size_t n) {
          events.clear();
          const size_t garbage = parser.Feed(std::string_view(data, n), &events);
          if (garbage > 0) {
            if (metrics_) metrics_->Error("sse_garbage");
            if (logger_) {
              logger_->Log("warn", "garbage on SSE stream",
                           {{"url", base + path}, {"lines", std::to_string(garbage)}});
            }
          }
          for (const auto& e : events) {
            events_.fetch_add(1);
            if (e.name == "error") {
              if (metrics_) metrics_->Error("sse_error_event");
              if (logger_) {
                logger_->Log("warn", "SSE error event", {{"url", base + path}, {"data", e.data}});
              }
            }
            on_signal_("sse " + e.name);
          }
          return !stop_.load();
        });
    {
      std::lock_guard<std::mutex> lock(mu_);
      stoppers_[slot] = [] {};
    }
    if (stop_.load()) return;
    if (!connected) {
      if (metrics_) metrics_->Error("sse_connect");
      if (logger_) {
        logger_->Log(
            "warn", "SSE connect failed",
            {{"url", base + path},
             {"reason", status ? "HTTP " + std::to_string(status)
                               : DescribeError(res.error(), *cli, base.rfind("https://", 0) == 0,
                                               tls_.get())}});
      }
      ++url_index;
    }
    on_signal_("sse gap " + path);
    std::unique_lock<std::mutex> lock(mu_);
    clock_.WaitFor(lock, cv_, backoff, [&] { return stop_.load(); });
    backoff = std::min<Duration>(backoff * 2, std::chrono::seconds(5));
  }
}

}  // namespace lnsim::bridge
