// SSE reader and frame splitter for integration tests (see testutil_sse.h).
#include "tests/mock-linstor/testutil_sse.h"

namespace lnsim::mock::testing {

SseReader::SseReader(int port, const std::string& path, httplib::Headers headers)
    : client_(std::make_unique<httplib::Client>("127.0.0.1", port)) {
  client_->set_read_timeout(std::chrono::seconds(60));
  thread_ = std::thread([this, path, headers] {
    client_->Get(
        path, headers,
        [&](const httplib::Response& response) {
          std::lock_guard<std::mutex> lock(mu_);
          content_type_ = response.get_header_value("Content-Type");
          return true;
        },
        [&](const char* data, size_t len) {
          std::lock_guard<std::mutex> lock(mu_);
          buffer_.append(data, len);
          return !stop_.load();
        });
    ended_ = true;
  });
}

SseReader::~SseReader() {
  stop_ = true;
  client_->stop();  // unblocks a read that waits for the next event
  thread_.join();
}

std::string SseReader::Text() {
  std::lock_guard<std::mutex> lock(mu_);
  return buffer_;
}

std::string SseReader::content_type() {
  std::lock_guard<std::mutex> lock(mu_);
  return content_type_;
}

size_t SseReader::Count(const std::string& needle) {
  const std::string text = Text();
  size_t n = 0;
  for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

std::vector<SseFrame> SplitSseFrames(const std::string& text) {
  std::vector<SseFrame> frames;
  SseFrame current;
  size_t pos = 0;
  for (size_t end = text.find('\n'); end != std::string::npos;
       pos = end + 1, end = text.find('\n', pos)) {
    const std::string line = text.substr(pos, end - pos);
    if (line.empty()) {
      frames.push_back(std::move(current));
      current = SseFrame{};
    } else if (line.rfind("event: ", 0) == 0) {
      current.event = line.substr(7);
    } else if (line.rfind("data: ", 0) == 0) {
      current.data = line.substr(6);
    } else {
      current.other_lines.push_back(line);
    }
  }
  return frames;
}

}  // namespace lnsim::mock::testing
