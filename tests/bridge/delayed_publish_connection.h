// Fault model: a slow link to NATS, or a bridge that got slower. Every publish call (core
// natsConnection_Publish/PublishMsg and JetStream js_PublishMsgAsync) first waits `delay` on the
// injected Clock, then goes through unchanged: nothing is lost, reordered or duplicated, only
// later. Publishes of one publisher are serialised by it, so N messages take at least N x delay.
// Used by scripts/ci-regression --inject-slowdown (lnsim-test-bridge --publish-delay D and
// bridge_bench --publish-delay=D) to prove that the regression gate notices a slower bridge.
// Test-only: built into tests, benchmarks and lnsim-test-bridge, never into lnsim.
#pragma once

#include <memory>

#include "bridge/publisher.h"
#include "common/clock.h"

namespace lnsim::bridge::testing {

class DelayedPublishConnection final : public PublishConnectionWrapper {
 public:
  DelayedPublishConnection(std::unique_ptr<PublishConnection> base, const Clock& clock,
                           Duration delay)
      : PublishConnectionWrapper(std::move(base)), clock_(clock), delay_(delay) {}

  natsStatus Publish(natsConnection* nc, const char* subject, const void* data, int size) override {
    clock_.SleepFor(delay_);
    return PublishConnectionWrapper::Publish(nc, subject, data, size);
  }
  natsStatus PublishMsg(natsConnection* nc, natsMsg* msg) override {
    clock_.SleepFor(delay_);
    return PublishConnectionWrapper::PublishMsg(nc, msg);
  }
  natsStatus PublishMsgAsync(jsCtx* js, natsMsg** msg, jsPubOptions* options) override {
    clock_.SleepFor(delay_);
    return PublishConnectionWrapper::PublishMsgAsync(js, msg, options);
  }

 private:
  const Clock& clock_;
  Duration delay_;
};

}  // namespace lnsim::bridge::testing
