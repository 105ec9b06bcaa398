// evidence/retry (open_retrying): a failing disk, simulated by a source that
// fails chosen ranges (the evidence layer's one seam). Bounded retries,
// counted apart; a bad granule never asked for again; the run over a real
// fixture goes on with only the messages on the bad block left unread.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "evidence/ddrescue_map.hpp"
#include "evidence/source.hpp"
#include "fs/filesystem.hpp"
#include "spool/discovery.hpp"
#include "validate/mailbox_check.hpp"

using namespace ss;

namespace {

// Bytes in memory; reads touching a bad range fail with an I/O error, a
// flaky range only its first `flaky_failures` times. Counts every read
// that touched each bad range.
class FaultySource final : public evidence::Source {
 public:
  explicit FaultySource(std::vector<std::byte> b) : bytes_(std::move(b)) {}
  std::vector<ByteRange> bad;
  ByteRange flaky{};
  int flaky_failures = 0;
  std::map<std::uint64_t, int> touches;  // bad range offset -> reads that touched it

  const std::string& name() const override { return name_; }
  evidence::SourceKind kind() const override { return evidence::SourceKind::block_device; }
  std::uint64_t size() const override { return bytes_.size(); }
  const evidence::ReadStats& stats() const override { return stats_; }
  Result<std::size_t> read_at(std::uint64_t offset, std::span<std::byte> out) override {
    std::lock_guard lock(m_);  // a Source may be read from two threads
    const ByteRange want{offset, out.size()};
    bool fail = false;
    for (const auto& b : bad)
      if (b.overlaps(want)) {
        ++touches[b.offset];
        fail = true;
      }
    if (flaky.overlaps(want) && flaky_failures > 0) {
      --flaky_failures;
      fail = true;
    }
    if (fail) {
      ++stats_.errors;
      return Finding{Code::evidence_read_error, "faulty", "Input/output error"};
    }
    ++stats_.reads;
    if (offset >= bytes_.size()) return std::size_t{0};
    const std::size_t n = std::min<std::uint64_t>(out.size(), bytes_.size() - offset);
    std::memcpy(out.data(), bytes_.data() + offset, n);
    stats_.bytes_read += n;
    return n;
  }

 private:
  std::string name_ = "faulty.img";
  std::mutex m_;
  std::vector<std::byte> bytes_;
  evidence::ReadStats stats_;
};

std::vector<std::byte> pattern(std::size_t n) {
  std::vector<std::byte> b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::byte>((i * 7) & 0xff);
  return b;
}

}  // namespace

TEST_CASE("retry: a bad granule is retried a bounded number of times, then never read again") {
  auto faulty = std::make_shared<FaultySource>(pattern(64 * 1024));
  faulty->bad = {{20000, 100}};  // inside granule [16384, 20480)
  auto src = evidence::open_retrying(faulty, {2, 4096});
  std::vector<std::byte> buf(32 * 1024);
  auto r = src->read_at(0, buf);  // covers it
  REQUIRE_FALSE(r.ok());
  CHECK(r.problem().detail.find("after 2 retries") != std::string::npos);
  CHECK(faulty->touches[20000] == 4);  // the whole read, then the granule 1 + 2 times
  CHECK(src->stats().retries == 2);
  // Again, and a read inside the bad granule: refused without reaching the disk.
  CHECK_FALSE(src->read_at(0, buf).ok());
  std::vector<std::byte> small(16);
  CHECK_FALSE(src->read_at(16400, small).ok());
  CHECK(faulty->touches[20000] == 4);
  CHECK(src->stats().refused == 2);
  // Around it, everything reads.
  auto before = src->read_at(0, std::span<std::byte>(buf.data(), 16384));
  REQUIRE(before.ok());
  CHECK(*before == 16384);
  CHECK(buf[100] == static_cast<std::byte>((100 * 7) & 0xff));
  CHECK(src->read_at(20480, small).ok());
  const auto needed = src->needed_unread();
  REQUIRE(needed.size() == 1);
  CHECK(needed[0] == ByteRange{16384, 4096});
  // The map a user feeds back to ddrescue -m: that granule, and nothing else, '+'.
  const std::string domain = evidence::domain_mapfile(needed, src->size(), "test");
  CHECK(domain.find("0x00004000  0x00001000  +\n") != std::string::npos);
  CHECK(domain.find("0x00000000  0x00004000  ?\n") != std::string::npos);
  CHECK(domain.find("0x00005000  0x0000B000  ?\n") != std::string::npos);
}

TEST_CASE("retry: a read that fails once and then succeeds costs one retry and marks nothing") {
  auto faulty = std::make_shared<FaultySource>(pattern(16 * 1024));
  faulty->flaky = {5000, 10};
  faulty->flaky_failures = 2;  // the whole read, then the granule's first try
  auto src = evidence::open_retrying(faulty, {2, 4096});
  std::vector<std::byte> buf(8192);
  auto r = src->read_at(0, buf);
  REQUIRE(r.ok());
  CHECK(*r == 8192);
  CHECK(buf[5003] == static_cast<std::byte>((5003 * 7) & 0xff));
  CHECK(src->stats().retries == 1);
  CHECK(src->needed_unread().empty());
}

TEST_CASE("retry: a check over a real fixture with a bad block goes on; only that block's mail is unread") {
  const auto img = std::filesystem::path(SS_FIXTURE_DIR) / "cyrus36-uuid.ext4.img";
  std::ifstream in(img, std::ios::binary);
  REQUIRE(in);
  std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> bytes(raw.size());
  std::memcpy(bytes.data(), raw.data(), raw.size());

  auto states = [](fs::Filesystem& f) {
    std::map<std::pair<std::string, std::uint32_t>, validate::MessageState> out;
    auto disc = spool::discover({&f});
    validate::CheckOptions opt;
    opt.reading.threads = 1;
    for (const auto& m : disc.mailboxes)
      for (const auto& v : validate::check_mailbox(f, m, opt).messages) out[{m.name, v.uid}] = v.state;
    return out;
  };
  auto clean = evidence::open_memory("clean.img", bytes);
  auto clean_fs = fs::open_ext(clean);
  REQUIRE(clean_fs.ok());
  // Where fred's message 3 lies.
  auto id = (*clean_fs)->lookup("var/spool/cyrus/mail/uuid/w/k/wkvl07kbgsw39h5a9unhsz7x/3.");
  REQUIRE(id.ok());
  auto runs = (*clean_fs)->file_runs(*id);
  REQUIRE(runs.ok());
  REQUIRE_FALSE(runs->empty());
  REQUIRE(runs->front().image_offset);
  const std::uint64_t at = *runs->front().image_offset;
  const auto want = states(**clean_fs);

  auto faulty = std::make_shared<FaultySource>(bytes);
  faulty->bad = {{at, 512}};
  auto src = evidence::open_retrying(faulty, {2, 1024});
  auto f = fs::open_ext(src);
  REQUIRE(f.ok());
  const auto got = states(**f);
  REQUIRE(got.size() == want.size());
  // Every message that shares the bad 1 KiB block (hard links too) is unread;
  // the others are as on the clean image.
  std::size_t unread = 0;
  for (const auto& [k, s] : got) {
    CAPTURE(k.first);
    CAPTURE(k.second);
    if (s == validate::MessageState::unread) {
      ++unread;
      continue;
    }
    CHECK(s == want.at(k));
  }
  CHECK(got.at({"user.fred", 3}) == validate::MessageState::unread);
  CHECK(unread >= 1);
  CHECK(faulty->touches[at] <= 4);  // one coalesced read, then 1 + 2 tries of its granule
  CHECK(src->stats().retries == 2);
  const auto needed = src->needed_unread();
  REQUIRE(needed.size() == 1);
  CHECK(needed[0].offset == at / 1024 * 1024);

  // The pipelined check (message bytes read on another thread while the
  // next mailbox's metadata is read) comes to the same states, in order.
  auto faulty2 = std::make_shared<FaultySource>(bytes);
  faulty2->bad = {{at, 512}};
  auto f2 = fs::open_ext(evidence::open_retrying(faulty2, {2, 1024}));
  REQUIRE(f2.ok());
  auto disc = spool::discover({f2->get()});
  std::vector<const spool::Mailbox*> all;
  for (const auto& m : disc.mailboxes) all.push_back(&m);
  std::map<std::pair<std::string, std::uint32_t>, validate::MessageState> piped;
  std::vector<std::string> order;
  validate::check_mailboxes({f2->get()}, all, {}, [&](const spool::Mailbox& m, validate::MailboxCheck&& c) {
    order.push_back(m.name);
    for (const auto& v : c.messages) piped[{m.name, v.uid}] = v.state;
  });
  CHECK(piped == got);
  REQUIRE(order.size() == all.size());
  for (std::size_t i = 0; i < all.size(); ++i) CHECK(order[i] == all[i]->name);
}
