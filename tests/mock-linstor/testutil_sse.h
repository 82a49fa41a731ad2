// An SSE reader for integration tests: reads one stream on its own thread into a buffer the test
// polls (with testing::WaitFor), and splits what arrived into frames.
#pragma once

#include <httplib.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace lnsim::mock::testing {

class SseReader {
 public:
  SseReader(int port, const std::string& path, httplib::Headers headers);
  ~SseReader();
  std::string Text();
  // Occurrences of `needle` in what arrived so far.
  size_t Count(const std::string& needle);
  bool ended() const { return ended_.load(); }
  void Stop() { stop_ = true; }
  // The response's Content-Type ("" until the headers arrived).
  std::string content_type();

 private:
  std::mutex mu_;
  std::string buffer_, content_type_;
  std::atomic<bool> stop_{false}, ended_{false};
  std::unique_ptr<httplib::Client> client_;
  std::thread thread_;
};

struct SseFrame {
  std::string event, data;
  std::vector<std::string> other_lines;  // id:, retry:, comments, anything but event:/data:
};
// Splits complete frames (ending in a blank line); a partial last frame is left out.
std::vector<SseFrame> SplitSseFrames(const std::string& text);

}  // namespace lnsim::mock::testing
