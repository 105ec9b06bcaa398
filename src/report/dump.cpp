#include "report/dump.hpp"

#include <fmt/format.h>

#include "core/sha1.hpp"
#include "report/findings_json.hpp"
#include "spool/cache_file.hpp"
#include "spool/header.hpp"
#include "spool/index_reader.hpp"

namespace ss::report {
namespace {

using nlohmann::json;
namespace ix = spool::index;

template <class F>
json field_value(ix::Kind kind, const ix::FieldValues<F>& values, F f) {
  auto v = values.get(f);
  if (!v) return nullptr;
  if (ix::kind_size(kind) == 8) return std::to_string(*v);  // exact, for any reader
  return *v;
}

json record_fields(const ix::Layout& l, const ix::Record& r) {
  json j = json::object();
  for (const auto& f : l.record) {
    std::string key(ix::name(f.field));
    switch (f.kind) {
      case ix::Kind::guid20: j[key] = to_hex(r.guid); break;
      case ix::Kind::uuid12: j[key] = to_hex(r.uuid); break;
      case ix::Kind::userflags128: j[key] = r.user_flags; break;
      default: j[key] = field_value(f.kind, r.values, f.field);
    }
  }
  return j;
}

json crc_json(bool has, std::uint32_t stored, std::uint32_t computed) {
  if (!has) return nullptr;
  return {{"stored", stored}, {"computed", computed}, {"ok", stored == computed}};
}

json index_json(ByteView bytes) {
  json j = {{"format", "cyrus.index"}, {"size", bytes.size()}};
  auto h = ix::decode_header(bytes);
  if (!h) {
    j["error"] = to_json(h.problem());
    return j;
  }
  json fields = json::object();
  if (h->layout) {
    for (const auto& f : h->layout->header)
      fields[std::string(ix::name(f.field))] = field_value(f.kind, h->values, f.field);
  } else {
    for (auto f : {ix::HeaderField::generation_no, ix::HeaderField::format,
                   ix::HeaderField::minor_version, ix::HeaderField::start_offset,
                   ix::HeaderField::record_size, ix::HeaderField::num_records})
      fields[std::string(ix::name(f))] = field_value(ix::Kind::u32, h->values, f);
  }
  j["header"] = {{"minor_version", h->minor},
                 {"known_version", h->layout != nullptr},
                 {"fields", fields},
                 {"crc", crc_json(h->has_crc, h->crc_stored, h->crc_computed)}};
  if (!h->layout) return j;
  j["header"]["layout"] = {{"header_size", h->layout->header_size},
                           {"record_size", h->layout->record_size},
                           {"written_by", h->layout->written_by}};
  auto n = static_cast<std::uint32_t>(h->values.get_or(ix::HeaderField::num_records, 0));
  auto c = ix::read_records(bytes, *h, *h->layout, n);
  json recs = json::array();
  for (const auto& r : c.records)
    recs.push_back({{"recno", r.recno},
                    {"offset", r.file_offset},
                    {"past_num_records", r.past_num_records},
                    {"fields", record_fields(*h->layout, r)},
                    {"crc", crc_json(r.has_crc, r.crc_stored, r.crc_computed)}});
  j["records"] = recs;
  j["records_missing"] = c.records_missing;
  j["partial_record_bytes"] = c.partial_record_bytes;
  return j;
}

json cache_json(ByteView bytes) {
  json j = {{"format", "cyrus.cache"}, {"size", bytes.size()}};
  auto gen = spool::cache::generation(bytes);
  j["generation"] = gen ? json(*gen) : json(nullptr);
  json recs = json::array();
  std::uint64_t off = 4;
  while (off < bytes.size()) {
    auto r = spool::cache::read_record(bytes, off);
    if (!r) {
      j["stopped"] = to_json(r.problem());
      break;
    }
    json items = json::array();
    for (std::size_t i = 0; i < spool::cache::kItems; ++i)
      items.push_back({{"name", spool::cache::name(static_cast<spool::cache::Item>(i))},
                       {"length", r->items[i].size()},
                       {"sha1", to_hex(sha1_of(r->items[i]))}});
    recs.push_back({{"offset", r->offset}, {"length", r->length}, {"crc", r->crc}, {"items", items}});
    off += r->length;
  }
  j["records"] = recs;
  return j;
}

json header_json(ByteView bytes) {
  json j = {{"format", "cyrus.header"}, {"size", bytes.size()}};
  j["magic_ok"] = bytes.starts_with(bytes_of(spool::kHeaderMagic));
  auto rest = bytes.tail(spool::kHeaderMagic.size());
  if (j["magic_ok"] && rest) {
    auto text = rest->chars();
    j["line4"] = std::string(text.substr(0, text.find('\n')));
  }
  auto h = spool::parse_header(bytes, "cyrus.header");
  if (!h) {
    j["error"] = to_json(h.problem());
    return j;
  }
  j["form"] = spool::to_string(h->form);
  j["quotaroot"] = h->quotaroot;
  j["uniqueid"] = h->uniqueid;
  j["name"] = h->name;
  j["type"] = h->type;
  json flags = json::array();
  for (const auto& f : h->user_flags) flags.push_back(f ? json(*f) : json(nullptr));
  j["user_flags"] = flags;
  json acl = json::array();
  for (const auto& [id, rights] : h->acl) acl.push_back({id, rights});
  j["acl"] = acl;
  j["findings"] = to_json(h->findings);
  return j;
}

std::string value_text(const json& v) {
  if (v.is_string()) return printable(v.get<std::string>());
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

DumpKind dump_kind(std::string_view name, ByteView bytes) {
  auto base = name.substr(name.rfind('/') == std::string_view::npos ? 0 : name.rfind('/') + 1);
  if (base.ends_with(".NEW")) base.remove_suffix(4);
  if (base == "cyrus.index" || base == "cyrus.expunge") return DumpKind::index;
  if (base == "cyrus.cache") return DumpKind::cache;
  if (base == "cyrus.header") return DumpKind::header;
  if (bytes.starts_with(bytes_of(spool::kHeaderMagic.substr(0, 8)))) return DumpKind::header;
  return DumpKind::unknown;
}

json dump_json(DumpKind kind, ByteView bytes) {
  switch (kind) {
    case DumpKind::index: return index_json(bytes);
    case DumpKind::cache: return cache_json(bytes);
    case DumpKind::header: return header_json(bytes);
    case DumpKind::unknown: break;
  }
  return {{"format", "unknown"}, {"size", bytes.size()}};
}

std::string dump_text(DumpKind kind, ByteView bytes) {
  json j = dump_json(kind, bytes);
  std::string out = fmt::format("{} ({} bytes)\n", j["format"].get<std::string>(), bytes.size());
  if (kind == DumpKind::index && j.contains("header")) {
    const auto& h = j["header"];
    out += fmt::format("header: minor version {}{}\n", h["minor_version"].get<std::uint32_t>(),
                       h.contains("layout")
                           ? fmt::format(" ({}; {}-byte header, {}-byte records)",
                                         h["layout"]["written_by"].get<std::string>(),
                                         h["layout"]["header_size"].get<int>(),
                                         h["layout"]["record_size"].get<int>())
                           : std::string(" (unknown)"));
    for (const auto& [k, v] : h["fields"].items())
      out += fmt::format("  {:<22} {}\n", k, value_text(v));
    if (!h["crc"].is_null())
      out += fmt::format("  header CRC {}: stored {:#010x}, computed {:#010x}\n",
                         h["crc"]["ok"].get<bool>() ? "ok" : "MISMATCH",
                         h["crc"]["stored"].get<std::uint32_t>(),
                         h["crc"]["computed"].get<std::uint32_t>());
    for (const auto& r : j.value("records", json::array())) {
      out += fmt::format("record {} at byte {}{}\n", r["recno"].get<std::uint32_t>(),
                         r["offset"].get<std::uint64_t>(),
                         r["past_num_records"].get<bool>() ? " (past num_records)" : "");
      for (const auto& [k, v] : r["fields"].items())
        out += fmt::format("  {:<14} {}\n", k, value_text(v));
      if (!r["crc"].is_null() && !r["crc"]["ok"].get<bool>())
        out += fmt::format("  record CRC MISMATCH: computed {:#010x}\n",
                           r["crc"]["computed"].get<std::uint32_t>());
    }
    if (j.value("records_missing", 0) > 0)
      out += fmt::format("{} records counted by the header are not in the file\n",
                         j["records_missing"].get<std::uint32_t>());
    return out;
  }
  // Cache, header: the JSON, indented, is the clearest text form.
  return out + j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace ss::report
