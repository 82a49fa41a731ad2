// The shape every LINSTOR list endpoint answers with: the items after the query's offset/limit
// paging (Page, query.h), rendered one by one into a JSON array, 200.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "mock-linstor/internal/answers.h"
#include "mock-linstor/internal/json_writer.h"
#include "mock-linstor/internal/query.h"

namespace lnsim::mock::internal {

// `render(writer, item)` writes one element.
template <typename T, typename Render>
HttpResponse PagedJsonArray(std::vector<T> items, const QueryView& query, Render render) {
  Page(&items, query);
  std::string out;
  JsonWriter writer(&out);
  writer.BeginArray();
  for (const T& item : items) render(writer, item);
  writer.EndArray();
  return JsonOk(std::move(out));
}

// 0, 1, ..., count - 1: the positions of a list that is rendered by position (volume slots,
// volume group numbers).
inline std::vector<uint32_t> Positions(size_t count) {
  std::vector<uint32_t> out(count);
  for (size_t i = 0; i < count; ++i) out[i] = static_cast<uint32_t>(i);
  return out;
}

}  // namespace lnsim::mock::internal
