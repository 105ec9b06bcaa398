// Reads from a failing disk (see source.hpp, open_retrying).
#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <set>

#include "evidence/source.hpp"

namespace ss::evidence {
namespace {

class RetryingSource final : public Source {
 public:
  RetryingSource(std::shared_ptr<Source> inner, RetryPolicy p)
      : inner_(std::move(inner)), p_(p) {
    if (p_.granule == 0) p_.granule = 4096;
  }
  const std::string& name() const override { return inner_->name(); }
  SourceKind kind() const override { return inner_->kind(); }
  std::uint64_t size() const override { return inner_->size(); }
  const ReadStats& stats() const override {
    std::lock_guard lock(mutex_);
    stats_ = inner_->stats();
    stats_.retries = retries_;
    stats_.refused = refused_;
    return stats_;
  }

  Result<std::size_t> read_at(std::uint64_t offset, std::span<std::byte> out) override {
    return read(offset, out, false);
  }
  Result<std::size_t> read_once_at(std::uint64_t offset, std::span<std::byte> out) override {
    return read(offset, out, true);
  }
  std::vector<ByteRange> needed_unread() const override {
    std::lock_guard lock(mutex_);
    std::vector<ByteRange> out;
    for (const auto& b : bad_) {
      ByteRange c = b.clamped_to(inner_->size());
      if (!out.empty() && c.offset <= out.back().end())
        out.back().length = std::max(out.back().end(), c.end()) - out.back().offset;
      else if (!c.empty())
        out.push_back(c);
    }
    auto more = inner_->needed_unread();
    out.insert(out.end(), more.begin(), more.end());
    return out;
  }

 private:
  // once: the first attempt may go around the page cache (Source::read_once_at);
  // the granules of a failed read are read through it.
  Result<std::size_t> read(std::uint64_t offset, std::span<std::byte> out, bool once) {
    if (out.empty()) return std::size_t{0};
    if (auto known = known_bad(offset, out.size())) {
      {
        std::lock_guard lock(mutex_);
        ++refused_;
      }
      return Finding{Code::evidence_read_error,
                     fmt::format("{}: bytes {}..{}", name(), offset, offset + out.size()),
                     fmt::format("bytes {}..{} failed earlier in this run; not read again",
                                 known->offset, known->end())};
    }
    auto r = once ? inner_->read_once_at(offset, out) : inner_->read_at(offset, out);
    if (r) return r;
    // Find which granules fail, each read at most 1 + retries times; the
    // others are read once more here to tell them apart.
    const std::uint64_t g = p_.granule;
    const std::uint64_t end = offset + out.size();
    std::optional<Finding> first;
    std::uint64_t done = 0;  // bytes delivered, while no granule failed or ended short
    bool whole = true;
    for (std::uint64_t at = offset; at < end;) {
      const std::uint64_t next = std::min(end, (at / g + 1) * g);
      auto piece = out.subspan(static_cast<std::size_t>(at - offset),
                               static_cast<std::size_t>(next - at));
      auto pr = inner_->read_at(at, piece);
      for (unsigned i = 0; !pr && i < p_.retries; ++i) {
        {
          std::lock_guard lock(mutex_);
          ++retries_;
        }
        pr = inner_->read_at(at, piece);
      }
      if (!pr) {
        mark_bad({at / g * g, g});
        if (!first) first = pr.problem();
        whole = false;
      } else if (whole) {
        done += *pr;
        if (*pr < piece.size()) break;  // the evidence ends here
      }
      at = next;
    }
    if (first) {
      first->detail += fmt::format(" (after {} retries)", p_.retries);
      return *first;
    }
    return static_cast<std::size_t>(done);
  }

  struct ByOffset {
    bool operator()(const ByteRange& a, const ByteRange& b) const { return a.offset < b.offset; }
  };

  std::optional<ByteRange> known_bad(std::uint64_t offset, std::uint64_t len) const {
    std::lock_guard lock(mutex_);
    if (bad_.empty()) return std::nullopt;
    const ByteRange want{offset, len};
    auto it = bad_.upper_bound(ByteRange{offset, 0});
    if (it != bad_.begin()) --it;
    for (; it != bad_.end() && it->offset < want.end(); ++it)
      if (it->overlaps(want)) return *it;
    return std::nullopt;
  }
  void mark_bad(ByteRange r) {
    std::lock_guard lock(mutex_);
    bad_.insert(r);
  }

  std::shared_ptr<Source> inner_;
  RetryPolicy p_;
  mutable std::mutex mutex_;
  std::set<ByteRange, ByOffset> bad_;
  std::uint64_t retries_ = 0, refused_ = 0;
  mutable ReadStats stats_;
};

}  // namespace

std::shared_ptr<Source> open_retrying(std::shared_ptr<Source> inner, RetryPolicy policy) {
  return std::make_shared<RetryingSource>(std::move(inner), policy);
}

}  // namespace ss::evidence
