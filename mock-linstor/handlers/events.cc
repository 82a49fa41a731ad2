// /v1/events: the two SSE streams (LINSTOR-API.md 2.9). The HTTP adapter streams them from the
// EventHub (mock-linstor/events.h, server.cc); the table only names them, so that a wrong method
// answers 405. Asked without an adapter (RestApi::HandleRead) there is nothing to stream: the
// answer is the non-JSON 404 Jersey gives an unknown path.
#include <vector>

#include "mock-linstor/handlers/handlers.h"
#include "mock-linstor/internal/answers.h"

namespace lnsim::mock::handlers {
namespace {

HttpResponse NoStream(const ReadContext&) { return internal::UnknownPath(); }

}  // namespace

void AddEventRoutes(std::vector<Route>* routes) {
  routes->push_back(
      {"GET", "/v1/events/drbd/promotion", NoStream, nullptr, EventStream::kPromotion});
  routes->push_back({"GET", "/v1/events/nodes", NoStream, nullptr, EventStream::kNodes});
}

}  // namespace lnsim::mock::handlers
