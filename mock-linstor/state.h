// Controller-side data the simulated world does not model but the REST API must remember:
// properties set through the API, resource-group descriptions, volume groups created through the
// API. Owned by the server next to the World and guarded by the same mutex.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace lnsim::mock {

using Props = std::map<std::string, std::string>;

struct MockState {
  // Keys: "ctrl", "node:<folded>", "pool:<node>/<pool>", "rd:<folded>", "vd:<rd>/<nr>",
  // "rsc:<rd>/<node>", "rg:<folded>", "vg:<rg>/<nr>" (all folded). Values override derived
  // defaults.
  std::map<std::string, Props> props;
  // Property keys deleted through the API (hides a derived default).
  std::map<std::string, std::map<std::string, bool>> deleted_props;
  std::map<std::string, std::string> group_descriptions;  // folded rg -> description
  std::map<std::string, uint32_t> extra_volume_groups;    // folded rg -> volume groups added
  // folded rd -> resource group set by `resource-definition modify --resource-group` (the world
  // keeps the group an RD was created in; renders and auto-place use this one).
  std::map<std::string, std::string> rd_groups;
  // Key-value stores (handlers/extras.cc): folded instance name -> name as first written; their
  // props live under props["kvs:<folded>"].
  std::map<std::string, std::string> kvs_names;
};

}  // namespace lnsim::mock
