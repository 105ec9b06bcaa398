#include "salvage/reinject.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_set>

#include "core/sha1.hpp"
#include "salvage/imap_session.hpp"

namespace ss::salvage {

std::string_view to_string(Outcome o) {
  switch (o) {
    case Outcome::appended: return "appended";
    case Outcome::quarantined: return "quarantined";
    case Outcome::created: return "appended-to-created";
    case Outcome::already_present: return "already-present";
    case Outcome::failed: return "failed";
    case Outcome::left_out: return "left-out";
    case Outcome::would_append: return "would-append";
  }
  return "?";
}

namespace {

using nlohmann::json;

constexpr std::string_view kQuarantine = "Recovered by spoolsalvage";

struct Item {
  std::size_t entry = 0;  // index into ReinjectResult::entries
  std::string file;       // relative to OUT
  std::string sha1;
  std::vector<std::string> flags;  // system flags and keywords, as sent
  std::int64_t internaldate = 0;
  std::uint64_t size = 0;
};

// A mailbox on the target and what goes into it.
struct Target {
  std::string internal;  // on the target
  std::string owner;     // userid; "" for a shared mailbox
  Outcome as = Outcome::appended;  // appended / quarantined / created
  bool create = false;
  std::vector<Item> items;
};

using namespace reinject_detail;

class Reinjector {
 public:
  Reinjector(std::string out, const ImapServer& srv, const ReinjectOptions& opt)
      : out_(std::move(out)), srv_(srv), opt_(opt) {}

  Result<ReinjectResult> run() {
    if (auto st = read_manifest(); !st) return st.problem();
    if (opt_.conn.insecure_tls)
      r_.findings.add(Code::reinject_insecure_tls, srv_.display(), {});

    auto held = read_other_side_imap(srv_, opt_.conn);
    if (!held)
      return Finding{Code::reinject_failed, srv_.display(),
                     "reading what the target holds: " + held.problem().detail};
    held_ = std::move(*held);
    for (const auto& f : held_.findings.items())
      if (f.code != Code::other_side_imap_expunged_invisible) r_.findings.add(f);

    admin_ = std::make_unique<imap::Session>(srv_, opt_.conn, password_, "", Code::reinject_failed);
    auto caps = admin_->capabilities();
    if (!caps) return caps.problem();
    auto delim = delimiter(*admin_);
    if (!delim) return delim.problem();
    delim_ = *delim;

    plan();
    if (opt_.dry_run) {
      for (auto& t : targets_)
        for (auto& it : t.items) r_.entries[it.entry].outcome = Outcome::would_append;
      return finish();
    }
    if (auto st = open_journal(); !st) return st.problem();
    std::uint64_t done = 0;
    for (auto& t : targets_) {
      if (cancelled()) break;
      if (auto st = inject(t, done); !st) return st.problem();
    }
    if (journal_) std::fclose(journal_);
    journal_ = nullptr;
    return finish();
  }

  ~Reinjector() {
    if (journal_) std::fclose(journal_);
  }
  Reinjector(const Reinjector&) = delete;
  Reinjector& operator=(const Reinjector&) = delete;

 private:
  bool cancelled() {
    if (opt_.cancel && opt_.cancel->load()) r_.cancelled = true;
    return r_.cancelled;
  }

  Result<ReinjectResult> finish() {
    for (const auto& e : r_.entries) ++r_.counts[e.outcome];
    return std::move(r_);
  }

  Status read_manifest() {
    const std::string path = out_ + "/manifest.jsonl";
    std::ifstream in(path);
    if (!in) return Finding{Code::reinject_manifest_unreadable, path, "cannot be opened"};
    std::string line;
    std::size_t n = 0;
    bool from_not_in = false;
    const std::set<std::string> proven = {"verified", "corrected", "rehomed", "carved"};
    while (std::getline(in, line)) {
      ++n;
      if (line.empty()) continue;
      json j = json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object() || !j.contains("mailbox") || !j.contains("status"))
        return Finding{Code::reinject_manifest_unreadable, fmt::format("{}:{}", path, n),
                       "not a manifest entry"};
      ReinjectEntry e;
      Item it;
      std::string status, file, other;
      bool expunged = false, in_deleted = false;
      try {
        e.mailbox = j.at("mailbox").get<std::string>();
        e.uid = j.value("uid", 0u);
        e.guid = j.value("guid", std::string());
        status = j.at("status").get<std::string>();
        file = j.value("file", std::string());
        it.sha1 = j.value("sha1", std::string());
        it.internaldate = j.value("internaldate", std::int64_t{0});
        it.size = j.value("size", std::uint64_t{0});
        expunged = j.value("expunged", false);
        in_deleted = j.value("in_deleted_mailbox", false);
        if (j.contains("other_side") && j["other_side"].is_object()) {
          from_not_in = true;
          other = j["other_side"].value("mailbox", std::string());
        }
        for (const auto& f : j.value("flags", json::array())) it.flags.push_back(f.get<std::string>());
        for (const auto& k : j.value("keywords", json::array())) {
          const auto kw = k.get<std::string>();
          if (is_flag_atom(kw) && kw[0] != '\\')
            it.flags.push_back(kw);
          else
            r_.findings.add(Code::reinject_keyword_dropped,
                            fmt::format("{} uid {}", e.mailbox, e.uid), imap::excerpt(kw, 80));
        }
      } catch (const json::exception& ex) {
        return Finding{Code::reinject_manifest_unreadable, fmt::format("{}:{}", path, n),
                       ex.what()};
      }
      std::erase_if(it.flags, [](const std::string& f) { return f == "\\Recent"; });
      const std::size_t index = r_.entries.size();
      it.entry = index;
      it.file = file;
      if (status == "skipped") {
        e.detail = "not stranded, or left out by the salvage's selection";
      } else if (file.empty()) {
        e.detail = fmt::format("{}: its bytes are not in OUT", status);
      } else if (!proven.count(status) &&
                 !((status == "unverified" || status == "matched-unproven") && opt_.include_unverified)) {
        e.detail = fmt::format("{}: content not proven (--include-unverified)", status);
      } else if ((expunged || in_deleted) && !opt_.include_expunged) {
        e.detail = expunged ? "expunged on the old master (--include-expunged)"
                            : "in a mailbox deleted on the old master (--include-expunged)";
      } else {
        wanted_.push_back({std::move(it), other, in_deleted});
      }
      r_.entries.push_back(std::move(e));
    }
    if (r_.entries.empty())
      return Finding{Code::reinject_manifest_unreadable, path, "no entries"};
    if (!from_not_in)
      return Finding{Code::reinject_not_from_not_in, path,
                     "salvage again with --not-in NEW_MASTER (an image or imap://...)"};
    const std::string pw = opt_.conn.password;
    password_ = srv_.password ? *srv_.password : pw;
    return ok_status();
  }

  static Result<char> delimiter(imap::Session& s) {
    auto r = s.run("LIST \"\" \"\"");
    if (!r) return r.problem();
    for (const auto& u : r->untagged)
      if (u.name == "LIST" && u.values.size() >= 2) {
        if (u.values[1].kind == imap::Value::Kind::nil) return '.';
        if (u.values[1].text.size() == 1) return u.values[1].text[0];
      }
    return '/';
  }

  void plan() {
    std::map<std::string, std::size_t> by_target;
    std::set<std::string> warned;
    for (auto& w : wanted_) {
      ReinjectEntry& e = r_.entries[w.item.entry];
      std::string name = e.mailbox;
      const auto mapped = opt_.mailbox_map.find(name);
      if (mapped != opt_.mailbox_map.end()) name = mapped->second;
      const bool there = held_.uniqueid_by_name.count(name) > 0;
      Outcome as = Outcome::appended;
      bool create = false;
      std::string target = name;
      if (mapped != opt_.mailbox_map.end()) {
        // The operator named the target: it is used, created when absent.
        as = there ? Outcome::appended : Outcome::created;
        create = !there;
      } else if (w.other == "created-here" && !w.in_deleted) {
        as = Outcome::created;
        create = !there;
      } else if (w.other == "deleted-there" || !there || w.in_deleted) {
        if (warned.insert(e.mailbox).second)
          r_.findings.add(Code::reinject_mailbox_missing, e.mailbox,
                          w.other == "deleted-there" ? "deleted on the target"
                          : w.in_deleted             ? "deleted on the old master"
                                                     : "not on the target now");
        if (opt_.missing == Missing::skip && !w.in_deleted) {
          e.detail = "its mailbox is not on the target (--missing=skip)";
          continue;
        }
        if (opt_.missing == Missing::create && !w.in_deleted) {
          as = Outcome::created;
          create = !there;
        } else {
          as = Outcome::quarantined;
          target = quarantine_of(name);
          create = held_.uniqueid_by_name.count(target) == 0;
        }
      }
      e.target = target;
      auto [it, fresh] = by_target.emplace(target, targets_.size());
      if (fresh) targets_.push_back(Target{target, owner_of(target), as, create, {}});
      Target& t = targets_[it->second];
      t.create = t.create || create;
      if (held_.guids.count(e.guid)) {
        e.outcome = Outcome::already_present;
        e.detail = "the target holds this GUID";
        continue;
      }
      if (!planned_.insert(e.guid + "\n" + target).second) {
        e.outcome = Outcome::already_present;
        e.detail = "the same message is appended to this mailbox once";
        continue;
      }
      t.items.push_back(std::move(w.item));
      ++total_;
    }
  }

  imap::Session& session_for(const std::string& owner) {
    if (owner.empty()) return *admin_;
    auto& s = users_[owner];
    if (!s) s = std::make_unique<imap::Session>(srv_, opt_.conn, password_, owner,
                                                Code::reinject_failed);
    return *s;
  }

  void fail(Item& it, std::string why) {
    auto& e = r_.entries[it.entry];
    e.outcome = Outcome::failed;
    e.detail = std::move(why);
    r_.findings.add(Code::reinject_append_failed, fmt::format("{} uid {}", e.mailbox, e.uid),
                    e.detail);
  }

  Status inject(Target& t, std::uint64_t& done) {
    if (t.items.empty()) return ok_status();
    imap::Session& s = session_for(t.owner);
    const std::string name = imap_name(t.internal, delim_);
    const auto q = imap::quote(name);
    if (!q) {
      for (auto& it : t.items) fail(it, "the target mailbox name cannot be sent quoted");
      return ok_status();
    }
    auto caps = s.capabilities();
    if (!caps) {
      for (auto& it : t.items) fail(it, caps.problem().detail);
      return ok_status();
    }
    const bool literal_plus = opt_.use_literal_plus && s.has_capability(*caps, "LITERAL+");
    const bool multi = opt_.use_multiappend && s.has_capability(*caps, "MULTIAPPEND");
    note_extension(literal_plus, "LITERAL+");
    note_extension(multi, "MULTIAPPEND");
    note_extension(s.has_capability(*caps, "UIDPLUS"), "UIDPLUS");
    if (t.create) {
      auto c = s.run("CREATE " + *q);
      if (!c || (!c->ok() && c->text.find("xists") == std::string::npos &&
                 !(c->code.size() && c->code[0].is_atom("ALREADYEXISTS")))) {
        const std::string why = "CREATE " + name + " refused: " +
                                (c ? c->why() : c.problem().detail);
        for (auto& it : t.items) fail(it, why);
        return ok_status();
      }
    }
    // Batches of up to batch_messages / batch_bytes (one message when the
    // server has no MULTIAPPEND).
    std::size_t i = 0;
    while (i < t.items.size()) {
      if (cancelled()) return ok_status();
      std::vector<std::pair<Item*, std::string>> batch;
      std::uint64_t bytes = 0;
      while (i < t.items.size() && (batch.empty() || (multi && batch.size() < opt_.batch_messages &&
                                                      bytes < opt_.batch_bytes))) {
        Item& it = t.items[i++];
        auto body = load(it);
        if (!body) continue;
        bytes += body->size();
        batch.emplace_back(&it, std::move(*body));
      }
      if (batch.empty()) continue;
      if (auto st = append(s, t, *q, batch, literal_plus); !st) return st;
      done += batch.size();
      if (opt_.progress) opt_.progress(done, total_);
    }
    return ok_status();
  }

  void note_extension(bool used, std::string_view name) {
    if (!used) return;
    for (const auto& x : r_.extensions_used)
      if (x == name) return;
    r_.extensions_used.emplace_back(name);
  }

  std::optional<std::string> load(Item& it) {
    const std::string path = out_ + "/" + it.file;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      r_.findings.add(Code::reinject_file_changed, path, "cannot be opened");
      fail(it, "the file in OUT cannot be opened");
      return std::nullopt;
    }
    std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto sum = to_hex(sha1_of(ByteView(reinterpret_cast<const std::byte*>(body.data()),  // NOLINT
                                             body.size())));
    if (!it.sha1.empty() && sum != it.sha1) {
      r_.findings.add(Code::reinject_file_changed, path,
                      fmt::format("SHA-1 {} now, {} in the manifest", sum, it.sha1));
      fail(it, "the file in OUT changed since the salvage");
      return std::nullopt;
    }
    return body;
  }

  static std::string header_of(const Item& it, std::size_t size, bool literal_plus) {
    std::string flags;
    for (const auto& f : it.flags) flags += (flags.empty() ? "" : " ") + f;
    return fmt::format("({}) {} {{{}{}}}\r\n", flags, imap_date(it.internaldate), size,
                       literal_plus ? "+" : "");
  }

  Status append(imap::Session& s, Target& t, const std::string& q,
                std::vector<std::pair<Item*, std::string>>& batch, bool literal_plus) {
    std::vector<std::string> parts;
    std::string cur = "APPEND " + q + " ";
    for (std::size_t k = 0; k < batch.size(); ++k) {
      if (k > 0) cur += " ";
      cur += header_of(*batch[k].first, batch[k].second.size(), literal_plus);
      if (!literal_plus) {
        parts.push_back(std::move(cur));
        cur.clear();
      }
      cur += batch[k].second;
    }
    parts.push_back(std::move(cur));
    const auto t0 = std::chrono::steady_clock::now();
    auto r = s.run_parts(parts, "APPEND");
    r_.append_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!r) {
      for (auto& [it, body] : batch)
        fail(*it, r.problem().detail +
                      " (whether the server took it is unknown: a re-run reads the target and "
                      "appends only what it lacks)");
      return ok_status();
    }
    if (!r->ok()) {
      if (batch.size() > 1) {  // a MULTIAPPEND is all or nothing: find the one refused
        for (auto& one : batch) {
          std::vector<std::pair<Item*, std::string>> single;
          single.push_back(std::move(one));
          if (auto st = append(s, t, q, single, literal_plus); !st) return st;
        }
        return ok_status();
      }
      fail(*batch[0].first, "the server refused it: " + r->why());
      return ok_status();
    }
    std::vector<std::uint64_t> uids;
    std::string validity;
    if (r->code.size() >= 3 && r->code[0].is_atom("APPENDUID")) {
      validity = r->code[1].text;
      uids = uid_set(r->code[2].text);
      if (uids.size() != batch.size()) uids.clear();
    }
    for (std::size_t k = 0; k < batch.size(); ++k) {
      Item& it = *batch[k].first;
      auto& e = r_.entries[it.entry];
      e.outcome = t.as;
      e.target_uid = uids.empty() ? 0 : uids[k];
      r_.bytes_appended += batch[k].second.size();
      json line = {{"mailbox", e.mailbox}, {"uid", e.uid},   {"guid", e.guid},
                   {"target", t.internal}, {"target_imap_name", imap_name(t.internal, delim_)},
                   {"outcome", std::string(to_string(t.as))}};
      if (!uids.empty()) {
        line["target_uid"] = uids[k];
        line["target_uidvalidity"] = validity;
      }
      const std::string text = line.dump() + "\n";
      if (std::fwrite(text.data(), 1, text.size(), journal_) != text.size())
        return Finding{Code::reinject_journal_failed, journal_path(), std::strerror(errno)};
    }
    if (std::fflush(journal_) != 0 || ::fdatasync(::fileno(journal_)) != 0)
      return Finding{Code::reinject_journal_failed, journal_path(), std::strerror(errno)};
    return ok_status();
  }

  std::string journal_path() const { return out_ + "/reinject.jsonl"; }

  Status open_journal() {
    journal_ = std::fopen(journal_path().c_str(), "a");
    if (!journal_) return Finding{Code::reinject_journal_failed, journal_path(), std::strerror(errno)};
    return ok_status();
  }

  struct Wanted {
    Item item;
    std::string other;  // the salvage's classification of its mailbox
    bool in_deleted = false;
  };

  std::string out_;
  const ImapServer& srv_;
  const ReinjectOptions& opt_;
  std::string password_;
  ReinjectResult r_;
  OtherSide held_;
  std::vector<Wanted> wanted_;
  std::vector<Target> targets_;
  std::set<std::string> planned_;
  std::uint64_t total_ = 0;
  std::unique_ptr<imap::Session> admin_;
  std::map<std::string, std::unique_ptr<imap::Session>> users_;
  char delim_ = '/';
  std::FILE* journal_ = nullptr;
};

}  // namespace

namespace reinject_detail {

bool is_flag_atom(std::string_view k) {
  if (k.empty() || k.size() > 200) return false;
  for (char c : k) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || std::string_view("(){%*\"\\]").find(c) != std::string_view::npos)
      return false;
  }
  return true;
}

std::string imap_date(std::int64_t t) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  if (gmtime_r(&tt, &tm) == nullptr) tt = 0, gmtime_r(&tt, &tm);
  return fmt::format("\"{:02}-{}-{:04} {:02}:{:02}:{:02} +0000\"", tm.tm_mday, kMonths[tm.tm_mon],
                     tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

// "user.fred^smith.Sent" → owner "fred.smith"; "" for other names.
std::string owner_of(const std::string& internal) {
  if (internal.rfind("user.", 0) != 0) return {};
  std::string o = internal.substr(5, internal.find('.', 5) - 5);
  for (auto& c : o)
    if (c == '^') c = '.';
  return o;
}

// An internal name as the owner (or, for shared mailboxes, the admin) sees
// it: "user.fred.A^b" → "INBOX/A.b" with '/' as the hierarchy delimiter.
std::string imap_name(const std::string& internal, char delim) {
  auto convert = [&](std::string_view x) {
    std::string out(x);
    if (delim == '.') return out;
    for (auto& c : out) c = c == '.' ? delim : c == '^' ? '.' : c;
    return out;
  };
  if (internal.rfind("user.", 0) != 0) return convert(internal);
  const auto dot = internal.find('.', 5);
  if (dot == std::string::npos) return "INBOX";
  return "INBOX" + std::string(1, delim) + convert(std::string_view(internal).substr(dot + 1));
}

// Where a mailbox's mail goes when it is not to be re-created.
std::string quarantine_of(const std::string& internal) {
  const std::string owner_part =
      internal.rfind("user.", 0) == 0 ? internal.substr(0, internal.find('.', 5)) : "";
  if (owner_part.empty()) return fmt::format("{}.{}", kQuarantine, internal);
  const std::string rest = internal.size() > owner_part.size()
                               ? internal.substr(owner_part.size() + 1)
                               : std::string("INBOX");
  return fmt::format("{}.{}.{}", owner_part, kQuarantine, rest);
}

// Positive uids of a uid-set "5", "5:7", "5,9:10" in order.
std::vector<std::uint64_t> uid_set(std::string_view s) {
  std::vector<std::uint64_t> out;
  std::size_t i = 0;
  auto num = [&](std::uint64_t& v) {
    const std::size_t start = i;
    v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 10)
      v = v * 10 + static_cast<std::uint64_t>(s[i++] - '0');
    return i > start;
  };
  while (i < s.size()) {
    std::uint64_t a = 0, b = 0;
    if (!num(a)) return {};
    b = a;
    if (i < s.size() && s[i] == ':') {
      ++i;
      if (!num(b)) return {};
    }
    if (b < a) std::swap(a, b);
    if (b - a > 100000) return {};
    for (std::uint64_t u = a; u <= b; ++u) out.push_back(u);
    if (i < s.size()) {
      if (s[i] != ',') return {};
      ++i;
    }
  }
  return out;
}

}  // namespace reinject_detail

Result<ReinjectResult> reinject(const std::string& out_dir, const ImapServer& target,
                                const ReinjectOptions& opt) {
  Reinjector r(out_dir, target, opt);
  return r.run();
}

}  // namespace ss::salvage
