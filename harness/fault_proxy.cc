// The fault proxy's poll loop: one thread, non-blocking sockets, per-direction queues of chunks
// with release times (latency), token buckets (bandwidth) and a hold switch (blackhole).
#include "harness/fault_proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <list>
#include <mutex>
#include <vector>

namespace lnsim::harness {
namespace {

constexpr size_t kReadChunk = 64 * 1024;

struct Chunk {
  std::string data;
  size_t offset = 0;
  Duration release;
};

// One direction of one connection: bytes read from `from` wait in `queue` until released to `to`.
struct Direction {
  int from = -1;
  int to = -1;
  std::deque<Chunk> queue;
  size_t queued = 0;
  Duration last_release = Duration::min();
  bool eof = false;   // `from` closed its write side
  bool shut = false;  // we shut down `to`'s write side after forwarding everything
  double tokens = 0;
  Duration last_refill = Duration::zero();
  bool want_write = false;
};

struct Connection {
  int client = -1;
  int upstream = -1;
  bool upstream_connected = false;
  Direction up;    // client -> upstream
  Direction down;  // upstream -> client
};

void CloseWithReset(int fd) {
  if (fd < 0) return;
  linger lg{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  close(fd);
}

}  // namespace

class FaultProxy::Loop {
 public:
  Loop(const FaultProxyOptions& options, const Clock& clock, Rng rng)
      : options_(options), clock_(clock), rng_(rng) {}
  ~Loop() {
    for (Connection& c : connections_) {
      CloseWithReset(c.client);
      CloseWithReset(c.upstream);
    }
    if (listener_ >= 0) close(listener_);
    if (wake_fd_ >= 0) close(wake_fd_);
  }

  Status Listen(int port) {
    upstream_addr_.sin_family = AF_INET;
    upstream_addr_.sin_port = htons(static_cast<uint16_t>(options_.upstream_port));
    if (options_.upstream_port <= 0 || options_.upstream_port > 65535 ||
        inet_pton(AF_INET, options_.upstream_host.c_str(), &upstream_addr_.sin_addr) != 1) {
      return InvalidArgumentError("fault proxy: bad upstream '" + options_.upstream_host + ":" +
                                  std::to_string(options_.upstream_port) + "'");
    }
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) return InternalError(std::string("fault proxy: eventfd: ") + strerror(errno));
    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listener_ < 0) return InternalError(std::string("fault proxy: socket: ") + strerror(errno));
    int one = 1;
    setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      return UnavailableError("fault proxy: cannot listen on 127.0.0.1:" + std::to_string(port) +
                              ": " + strerror(errno));
    }
    if (listen(listener_, 128) != 0) {
      return UnavailableError(std::string("fault proxy: listen: ") + strerror(errno));
    }
    socklen_t len = sizeof(addr);
    getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    return OkStatus();
  }

  int BoundPort() const {
    sockaddr_in addr{};
    socklen_t len = sizeof(addr);
    getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    return ntohs(addr.sin_port);
  }

  void Wake() {
    uint64_t one = 1;
    ssize_t ignored = write(wake_fd_, &one, sizeof(one));
    (void)ignored;
  }

  void Stop() {
    stop_.store(true);
    Wake();
  }

  void SetFaults(const NetworkFaults& f) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      faults_ = f;
    }
    Wake();
  }
  NetworkFaults faults() const {
    std::lock_guard<std::mutex> lock(mu_);
    return faults_;
  }

  void ResetConnections() {
    std::unique_lock<std::mutex> lock(mu_);
    const uint64_t ticket = ++reset_requested_;
    lock.unlock();
    Wake();
    lock.lock();
    reset_done_cv_.wait(lock, [&] { return reset_done_ >= ticket || stopped_; });
  }

  FaultProxyStats stats() const {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
  }

  void Run() {
    std::vector<pollfd> fds;
    while (!stop_.load()) {
      const NetworkFaults faults = TakeFaultsAndReset();
      // Forward what is due; compute the next wake-up for chunks not yet due.
      const Duration next_due = FlushDue(faults);
      CloseFinished();
      PublishStats();
      BuildPollSet(&fds);
      const int ready = poll(fds.data(), fds.size(), PollTimeoutMs(next_due));
      if (ready < 0) continue;  // EINTR
      if (fds[0].revents & POLLIN) {
        uint64_t value;
        ssize_t ignored = read(wake_fd_, &value, sizeof(value));
        (void)ignored;
      }
      if (fds[1].revents & POLLIN) Accept();
      HandleReady(fds, faults);
    }
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
    reset_done_cv_.notify_all();
  }

 private:
  // The faults in force for this turn; performs a requested reset first.
  NetworkFaults TakeFaultsAndReset() {
    NetworkFaults faults;
    uint64_t reset_requested;
    {
      std::lock_guard<std::mutex> lock(mu_);
      faults = faults_;
      reset_requested = reset_requested_;
    }
    if (reset_requested > reset_done_seen_) {
      DoReset();
      PublishStats();
      std::lock_guard<std::mutex> lock(mu_);
      reset_done_ = reset_requested;
      reset_done_seen_ = reset_requested;
      reset_done_cv_.notify_all();
    }
    return faults;
  }

  // Writes every chunk that is due; returns when the next one falls due (max = none queued).
  Duration FlushDue(const NetworkFaults& faults) {
    const Duration now = clock_.Now();
    Duration next_due = Duration::max();
    for (Connection& c : connections_) {
      if (c.upstream_connected) {
        Flush(c.up, faults, now, &next_due, &stats_bytes_up_);
      }
      Flush(c.down, faults, now, &next_due, &stats_bytes_down_);
    }
    return next_due;
  }

  // fds[0] the wake-up eventfd, fds[1] the listener, then client and upstream per connection.
  void BuildPollSet(std::vector<pollfd>* fds) const {
    fds->clear();
    fds->push_back({wake_fd_, POLLIN, 0});
    fds->push_back({listener_, POLLIN, 0});
    for (const Connection& c : connections_) {
      short client_events = 0, upstream_events = 0;
      if (!c.up.eof && c.up.queued < options_.max_queued_bytes_per_direction) {
        client_events |= POLLIN;
      }
      if (c.down.want_write) client_events |= POLLOUT;
      if (!c.upstream_connected) {
        upstream_events |= POLLOUT;
      } else {
        if (!c.down.eof && c.down.queued < options_.max_queued_bytes_per_direction) {
          upstream_events |= POLLIN;
        }
        if (c.up.want_write) upstream_events |= POLLOUT;
      }
      // An fd with nothing to wait for is left out (-1): a half-closed socket would otherwise
      // report POLLHUP on every call and spin the loop.
      fds->push_back({client_events != 0 ? c.client : -1, client_events, 0});
      fds->push_back({upstream_events != 0 ? c.upstream : -1, upstream_events, 0});
    }
  }

  // Until the next chunk is due (rounded up), at most a second; the clock tells how far off it is.
  int PollTimeoutMs(Duration next_due) const {
    if (next_due == Duration::max()) return 1000;
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        next_due - clock_.Now() + std::chrono::microseconds(999))
                        .count();
    return static_cast<int>(std::clamp<int64_t>(ms, 0, 1000));
  }

  // Completes connects, reads what arrived, and notes writable sockets.
  void HandleReady(const std::vector<pollfd>& fds, const NetworkFaults& faults) {
    // Connections accepted just now are not in fds yet; iterate the ones that were.
    size_t i = 2;
    const Duration read_time = clock_.Now();
    for (auto it = connections_.begin(); it != connections_.end() && i + 1 < fds.size();
         ++it, i += 2) {
      Connection& c = *it;
      if (c.client < 0) continue;
      const short cr = fds[i].revents, ur = fds[i + 1].revents;
      if (!c.upstream_connected && (ur & (POLLOUT | POLLERR | POLLHUP))) {
        int err = 0;
        socklen_t len = sizeof(err);
        getsockopt(c.upstream, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          Kill(c);
          continue;
        }
        c.upstream_connected = true;
      }
      if (cr & (POLLIN | POLLHUP | POLLERR)) {
        if (!ReadInto(c.up, faults, read_time)) {
          Kill(c);
          continue;
        }
      }
      if (c.upstream_connected && (ur & (POLLIN | POLLHUP | POLLERR))) {
        if (!ReadInto(c.down, faults, read_time)) {
          Kill(c);
          continue;
        }
      }
      if ((cr & POLLOUT)) c.down.want_write = false;
      if ((ur & POLLOUT)) c.up.want_write = false;
    }
  }

  void Accept() {
    while (true) {
      const int fd = accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      const int up = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (up < 0) {
        CloseWithReset(fd);
        continue;
      }
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      setsockopt(up, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      Connection c;
      c.client = fd;
      c.upstream = up;
      c.up.from = fd;
      c.up.to = up;
      c.down.from = up;
      c.down.to = fd;
      c.up.last_refill = c.down.last_refill = clock_.Now();
      const int r =
          connect(up, reinterpret_cast<const sockaddr*>(&upstream_addr_), sizeof(upstream_addr_));
      if (r == 0) {
        c.upstream_connected = true;
      } else if (errno != EINPROGRESS) {
        CloseWithReset(fd);
        close(up);
        continue;
      }
      connections_.push_back(std::move(c));
      ++accepted_;
    }
  }

  // Reads what is available into the direction's queue. False when the connection must die
  // (a reset or error on the source).
  bool ReadInto(Direction& d, const NetworkFaults& faults, Duration now) {
    while (!d.eof && d.queued < options_.max_queued_bytes_per_direction) {
      std::string buf(kReadChunk, '\0');
      const ssize_t n = recv(d.from, buf.data(), buf.size(), 0);
      if (n > 0) {
        buf.resize(static_cast<size_t>(n));
        Duration delay = faults.latency;
        if (faults.jitter > Duration::zero()) {
          delay += Duration(
              static_cast<int64_t>(rng_.Uniform(static_cast<uint64_t>(faults.jitter.count()) + 1)));
        }
        // Never overtake an earlier chunk: TCP order is preserved.
        const Duration release = std::max(now + delay, d.last_release);
        d.last_release = release;
        d.queued += buf.size();
        d.queue.push_back(Chunk{std::move(buf), 0, release});
        continue;
      }
      if (n == 0) {
        d.eof = true;
        return true;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      if (errno == EINTR) continue;
      return false;
    }
    return true;
  }

  void Flush(Direction& d, const NetworkFaults& faults, Duration now, Duration* next_due,
             uint64_t* counter) {
    if (faults.blackhole || d.to < 0) return;
    if (faults.bandwidth_bytes_per_second > 0) {
      const double rate = static_cast<double>(faults.bandwidth_bytes_per_second);
      const double burst = std::max(rate / 20.0, 1500.0);
      const double elapsed = std::chrono::duration<double>(now - d.last_refill).count();
      d.tokens = std::min(burst, d.tokens + elapsed * rate);
    }
    d.last_refill = now;
    while (!d.queue.empty()) {
      Chunk& chunk = d.queue.front();
      if (chunk.release > now) {
        *next_due = std::min(*next_due, chunk.release);
        return;
      }
      size_t len = chunk.data.size() - chunk.offset;
      if (faults.bandwidth_bytes_per_second > 0) {
        if (d.tokens < 1.0) {
          const double rate = static_cast<double>(faults.bandwidth_bytes_per_second);
          const auto wait = Duration(static_cast<int64_t>((1.0 - d.tokens) / rate * 1e9) + 1);
          *next_due = std::min(*next_due, now + wait);
          return;
        }
        len = std::min(len, static_cast<size_t>(d.tokens));
      }
      const ssize_t n = send(d.to, chunk.data.data() + chunk.offset, len, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) d.want_write = true;
        // Other errors surface as POLLERR/POLLHUP on the next poll.
        return;
      }
      chunk.offset += static_cast<size_t>(n);
      d.queued -= static_cast<size_t>(n);
      *counter += static_cast<uint64_t>(n);
      if (faults.bandwidth_bytes_per_second > 0) d.tokens -= static_cast<double>(n);
      if (chunk.offset == chunk.data.size()) {
        d.queue.pop_front();
      } else if (static_cast<size_t>(n) < len) {
        d.want_write = true;  // the socket buffer is full: wait for POLLOUT
        return;
      }
    }
    if (d.eof && !d.shut) {
      shutdown(d.to, SHUT_WR);
      d.shut = true;
    }
  }

  void Kill(Connection& c) {
    CloseWithReset(c.client);
    CloseWithReset(c.upstream);
    c.client = c.upstream = -1;
    for (Direction* d : {&c.up, &c.down}) {
      d->from = d->to = -1;
      d->queue.clear();
      d->queued = 0;
    }
  }

  void CloseFinished() {
    for (auto it = connections_.begin(); it != connections_.end();) {
      const bool done = it->client < 0 || (it->up.shut && it->down.shut);
      if (done) {
        if (it->client >= 0) {
          close(it->client);
          close(it->upstream);
        }
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void DoReset() {
    for (Connection& c : connections_) {
      Kill(c);
      ++resets_;
    }
    connections_.clear();
  }

  void PublishStats() {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.connections_accepted = accepted_;
    stats_.connections_active = connections_.size();
    stats_.connections_reset = resets_;
    stats_.bytes_to_upstream = stats_bytes_up_;
    stats_.bytes_to_client = stats_bytes_down_;
  }

  const FaultProxyOptions options_;
  const Clock& clock_;
  Rng rng_;  // proxy thread only
  sockaddr_in upstream_addr_{};
  int listener_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::list<Connection> connections_;  // proxy thread only
  uint64_t accepted_ = 0, resets_ = 0, stats_bytes_up_ = 0, stats_bytes_down_ = 0;
  uint64_t reset_done_seen_ = 0;

  mutable std::mutex mu_;
  NetworkFaults faults_;
  FaultProxyStats stats_;
  uint64_t reset_requested_ = 0;
  uint64_t reset_done_ = 0;
  bool stopped_ = false;
  std::condition_variable reset_done_cv_;
};

StatusOr<std::unique_ptr<FaultProxy>> FaultProxy::Start(const FaultProxyOptions& options,
                                                        const Clock& clock, Rng rng) {
  auto loop = std::make_unique<Loop>(options, clock, rng);
  LNSIM_RETURN_IF_ERROR(loop->Listen(options.listen_port));
  std::unique_ptr<FaultProxy> proxy(new FaultProxy());
  proxy->port_ = loop->BoundPort();
  proxy->loop_ = std::move(loop);
  proxy->thread_ = std::thread([p = proxy->loop_.get()] { p->Run(); });
  return proxy;
}

FaultProxy::~FaultProxy() {
  if (loop_) {
    loop_->Stop();
    if (thread_.joinable()) thread_.join();
  }
}

std::string FaultProxy::nats_url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
void FaultProxy::SetFaults(const NetworkFaults& faults) { loop_->SetFaults(faults); }
NetworkFaults FaultProxy::faults() const { return loop_->faults(); }
void FaultProxy::SetLatency(Duration latency, Duration jitter) {
  NetworkFaults f = loop_->faults();
  f.latency = latency;
  f.jitter = jitter;
  loop_->SetFaults(f);
}
void FaultProxy::SetBandwidth(uint64_t bytes_per_second) {
  NetworkFaults f = loop_->faults();
  f.bandwidth_bytes_per_second = bytes_per_second;
  loop_->SetFaults(f);
}
void FaultProxy::SetBlackhole(bool on) {
  NetworkFaults f = loop_->faults();
  f.blackhole = on;
  loop_->SetFaults(f);
}
void FaultProxy::ClearFaults() { loop_->SetFaults(NetworkFaults{}); }
void FaultProxy::ResetConnections() { loop_->ResetConnections(); }
FaultProxyStats FaultProxy::stats() const { return loop_->stats(); }
void FaultProxy::Wake() { loop_->Wake(); }

}  // namespace lnsim::harness
