// report/ for `dump`: one Cyrus file decoded field by field, the expert view
// mbexamine gives, without a server. JSON shape: README "dump --json".
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/bytes.hpp"

namespace ss::report {

enum class DumpKind { index, cache, header, unknown };
// From the file name (cyrus.index, cyrus.expunge, cyrus.cache, cyrus.header,
// with .NEW suffixes), else from the content.
DumpKind dump_kind(std::string_view file_name, ByteView bytes);

nlohmann::json dump_json(DumpKind kind, ByteView bytes);
std::string dump_text(DumpKind kind, ByteView bytes);

}  // namespace ss::report
