// gzip for responses (python-linstor sends Accept-Encoding: gzip). Done by the mock itself rather
// than by cpp-httplib so that a rendered view can be compressed once and shared by every poller,
// and so that a client that also accepts `br` still gets gzip, as from the Java controller.
#pragma once

#include <string>
#include <string_view>

namespace lnsim::mock::internal {

// gzip (RFC 1952) of `data`; level 1 (fast) by default.
std::string GzipCompress(std::string_view data, int level = 1);
// Inverse, for tests; returns false on corrupt input.
bool GzipDecompress(std::string_view data, std::string* out);

}  // namespace lnsim::mock::internal
