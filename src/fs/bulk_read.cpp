#include "fs/bulk_read.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "core/aligned.hpp"

namespace ss::fs {

BulkReadStats& BulkReadStats::operator+=(const BulkReadStats& o) {
  jobs += o.jobs;
  bytes_needed += o.bytes_needed;
  block_bytes_needed += o.block_bytes_needed;
  bytes_read += o.bytes_read;
  reads += o.reads;
  backward_reads += o.backward_reads;
  through_fs += o.through_fs;
  failed += o.failed;
  return *this;
}

namespace {

// Buffers the evidence is read into start on a 4 KiB boundary, and so does
// each file's place in a batch: a large read of blocks that are not cached
// can then go around the page cache (evidence/image_file.cpp).
constexpr std::size_t kAlign = kDirectAlign;
std::uint64_t align_up(std::uint64_t n) { return (n + kAlign - 1) / kAlign * kAlign; }
std::shared_ptr<std::byte[]> aligned_buffer(std::uint64_t size) { return aligned_bytes(size); }

// The batch buffers, kept for the next batch (and the next call) instead of
// freed: memory does not fragment (fresh 16 MiB buffers from malloc, freed
// on the worker threads, left a 300 k-message check 35 MB larger) and pages
// are not faulted in again for every batch (from mmap each time: 3 s more
// of kernel time in that check).
class Arenas {
 public:
  explicit Arenas(std::uint64_t size) : size_(align_up(std::max<std::uint64_t>(size, 1))) {}
  ~Arenas() {
    for (std::byte* b : free_) FreeBytes{}(b);
  }
  Arenas(const Arenas&) = delete;
  Arenas& operator=(const Arenas&) = delete;

  // A buffer of at least `bytes` (aligned); back here when its last holder lets go.
  std::shared_ptr<std::byte[]> get(std::uint64_t bytes) {
    if (bytes > size_) return aligned_buffer(bytes);
    std::byte* b = nullptr;
    {
      std::lock_guard lk(m_);
      if (!free_.empty()) {
        b = free_.back();
        free_.pop_back();
      }
    }
    if (b == nullptr) b = aligned_bytes(size_).release();
    return std::shared_ptr<std::byte[]>(b, [this](std::byte* p) { put(p); });
  }

 private:
  void put(std::byte* b) {
    std::lock_guard lk(m_);
    if (free_.size() < kKeep) {
      try {
        free_.push_back(b);
        return;
      } catch (...) {
      }
    }
    FreeBytes{}(b);
  }
  static constexpr std::size_t kKeep = 3;  // two windows in flight and one being read
  std::uint64_t size_;
  std::mutex m_;
  std::vector<std::byte*> free_;
};

// Consumer threads with a bound on the file bytes in flight: the reading
// thread reserves a batch's bytes before it allocates them, and each task
// gives its share back when it is done.
class Pool {
 public:
  Pool(unsigned threads, std::uint64_t limit) : limit_(limit) {
    for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
  }
  ~Pool() {
    {
      std::lock_guard lk(m_);
      stop_ = true;
    }
    work_.notify_all();
    for (auto& t : threads_) t.join();
  }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Waits until `bytes` more fit (always fits when nothing is in flight).
  void reserve(std::uint64_t bytes) {
    std::unique_lock lk(m_);
    room_.wait(lk, [&] { return in_flight_ == 0 || in_flight_ + bytes <= limit_; });
    in_flight_ += bytes;
  }
  // A task that gives back `bytes` of the reservation when it ends.
  void submit(std::function<void()> f, std::uint64_t bytes) {
    {
      std::lock_guard lk(m_);
      queue_.push_back(Task{std::move(f), bytes});
    }
    work_.notify_one();
  }
  void release(std::uint64_t bytes) {
    {
      std::lock_guard lk(m_);
      in_flight_ -= std::min(in_flight_, bytes);
    }
    room_.notify_all();
  }
  void wait_idle() {
    std::unique_lock lk(m_);
    idle_.wait(lk, [&] { return queue_.empty() && busy_ == 0; });
  }

 private:
  struct Task {
    std::function<void()> f;
    std::uint64_t bytes = 0;
  };
  void run() {
    std::unique_lock lk(m_);
    for (;;) {
      work_.wait(lk, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      Task t = std::move(queue_.front());
      queue_.pop_front();
      ++busy_;
      lk.unlock();
      t.f();
      t.f = nullptr;  // frees the batch buffer it may hold before accounting
      lk.lock();
      --busy_;
      in_flight_ -= std::min(in_flight_, t.bytes);
      room_.notify_all();
      if (queue_.empty() && busy_ == 0) idle_.notify_all();
    }
  }

  std::uint64_t limit_;
  std::mutex m_;
  std::condition_variable work_, room_, idle_;
  std::deque<Task> queue_;
  std::uint64_t in_flight_ = 0;
  unsigned busy_ = 0;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

// A run list usable for direct reads: sorted, contiguous from 0 to size,
// no inline data, every run inside the evidence.
bool direct_readable(const ReadJob& j, const evidence::Source& src) {
  if (j.size == 0 || j.runs.empty()) return false;
  std::uint64_t at = 0;
  for (const auto& r : j.runs) {
    if (r.inline_data || r.file_offset != at || r.length == 0) return false;
    if (r.image_offset && (*r.image_offset > src.size() || r.length > src.size() - *r.image_offset))
      return false;
    at += r.length;
  }
  return at == j.size;
}

std::optional<std::uint64_t> first_offset(const ReadJob& j) {
  for (const auto& r : j.runs)
    if (r.image_offset) return r.image_offset;
  return std::nullopt;
}

class Reader {
 public:
  Reader(Filesystem& fs, std::span<const ReadJob> jobs, ReadConsumer& c, const BulkReadOptions& o,
         const std::function<void()>& tick)
      : fs_(fs),
        src_(fs.source()),
        jobs_(jobs),
        c_(c),
        opt_(o),
        tick_(tick),
        pool_(o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency()),
              2 * std::max<std::uint64_t>(o.window, 1)) {}

  BulkReadStats run() {
    std::vector<std::size_t> direct, through;
    for (std::size_t i = 0; i < jobs_.size(); ++i) {
      const auto& j = jobs_[i];
      ++stats_.jobs;
      if (j.size == 0) {
        c_.begin(i);
        c_.end(i, nullptr);
      } else if (src_ && j.size > src_->size()) {
        // Only holes can make a file larger than the evidence it lies in, and
        // a mail file has none: the inode's size is damaged (or hostile, and
        // would have us hash terabytes of zeros). Found by fuzz_ext_image.
        fail(i, Finding{Code::fs_file_unreadable, fmt::format("{}: inode {}", src_->name(), j.node),
                        fmt::format("the inode says {} bytes, more than the whole evidence ({} "
                                    "bytes): its size is damaged; not read",
                                    j.size, src_->size())});
      } else if (src_ && direct_readable(j, *src_)) {
        direct.push_back(i);
      } else {
        through.push_back(i);
      }
    }
    // Disk order: by where each file's first byte lies.
    std::stable_sort(direct.begin(), direct.end(), [&](std::size_t a, std::size_t b) {
      return first_offset(jobs_[a]).value_or(0) < first_offset(jobs_[b]).value_or(0);
    });
    std::vector<std::size_t> batch;
    std::uint64_t batch_bytes = 0;
    for (std::size_t i : direct) {
      const auto& j = jobs_[i];
      if (j.size > opt_.window) {
        read_batch(batch, batch_bytes);
        stream_direct(i);
        continue;
      }
      // A batch's bytes are counted as they lie in its buffer (aligned).
      if (!batch.empty() && batch_bytes + align_up(j.size) > opt_.window) read_batch(batch, batch_bytes);
      batch.push_back(i);
      batch_bytes += align_up(j.size);
    }
    read_batch(batch, batch_bytes);
    for (std::size_t i : through) read_through_fs(i);
    pool_.wait_idle();
    return stats_;
  }

 private:
  struct Piece {
    std::uint64_t img = 0, len = 0;
    std::byte* dst = nullptr;
    std::size_t slot = 0;  // index in the batch
  };

  std::uint64_t round_up(std::uint64_t n) const {
    return block_ == 0 ? n : (n + block_ - 1) / block_ * block_;
  }

  bool read_exact(std::uint64_t off, std::byte* out, std::uint64_t len, Finding& err) {
    if (off < last_end_) ++stats_.backward_reads;
    ++stats_.reads;
    auto r = src_->read_once_at(off, std::span<std::byte>(out, len));
    if (!r) {
      err = r.problem();
      return false;
    }
    stats_.bytes_read += *r;
    last_end_ = off + *r;
    if (*r < len) {
      err = Finding{Code::evidence_short_read, fmt::format("{}: bytes {}..{}", src_->name(), off, off + len),
                    fmt::format("the evidence ends after {} of them", *r)};
      return false;
    }
    return true;
  }

  void fail(std::size_t job, const Finding& f) {
    ++stats_.failed;
    c_.begin(job);
    c_.end(job, &f);
  }

  void read_batch(std::vector<std::size_t>& batch, std::uint64_t& batch_bytes) {
    if (batch.empty()) return;
    pool_.reserve(batch_bytes);
    // One buffer for the batch, shared by its tasks, each file's place in
    // it aligned. Not cleared (that cost 6% of a cached check): every byte
    // is read into, or is a hole and zeroed below.
    std::shared_ptr<std::byte[]> arena = arenas().get(batch_bytes);
    std::vector<std::uint64_t> base(batch.size());
    std::vector<Piece> pieces;
    std::uint64_t at = 0;
    for (std::size_t s = 0; s < batch.size(); ++s) {
      base[s] = at;
      const auto& j = jobs_[batch[s]];
      for (const auto& r : j.runs)
        if (!r.image_offset) {
          std::memset(arena.get() + at + r.file_offset, 0, r.length);
        } else {
          pieces.push_back({*r.image_offset, r.length, arena.get() + at + r.file_offset, s});
          stats_.bytes_needed += r.length;
          stats_.block_bytes_needed += round_up(r.length);
        }
      at += align_up(j.size);
    }
    std::sort(pieces.begin(), pieces.end(),
              [](const Piece& a, const Piece& b) { return a.img < b.img; });
    std::vector<std::optional<Finding>> failed(batch.size());
    for (std::size_t p = 0; p < pieces.size();) {
      // Coalesce: pieces that start within max_gap of the group's end (or
      // overlap it), up to max_read in all.
      std::uint64_t start = pieces[p].img, end = start + pieces[p].len;
      std::size_t q = p + 1;
      while (q < pieces.size() && pieces[q].img <= end + opt_.max_gap &&
             std::max(end, pieces[q].img + pieces[q].len) - start <= opt_.max_read) {
        end = std::max(end, pieces[q].img + pieces[q].len);
        ++q;
      }
      Finding err{Code::evidence_read_error, {}, {}};
      if (q == p + 1) {
        if (!read_exact(start, pieces[p].dst, pieces[p].len, err)) failed[pieces[p].slot] = err;
      } else {
        if (staging_size_ < end - start) {
          staging_ = aligned_buffer(end - start);
          staging_size_ = end - start;
        }
        if (read_exact(start, staging_.get(), end - start, err)) {
          for (std::size_t k = p; k < q; ++k)
            std::memcpy(pieces[k].dst, staging_.get() + (pieces[k].img - start), pieces[k].len);
        } else {
          // One bad stretch must not cost its neighbours: piece by piece.
          for (std::size_t k = p; k < q; ++k) {
            Finding e{Code::evidence_read_error, {}, {}};
            if (!read_exact(pieces[k].img, pieces[k].dst, pieces[k].len, e)) failed[pieces[k].slot] = e;
          }
        }
      }
      p = q;
    }
    for (std::size_t s = 0; s < batch.size(); ++s) {
      const std::size_t job = batch[s];
      const std::uint64_t size = jobs_[job].size;
      if (failed[s]) {
        fail(job, *failed[s]);
        pool_.release(align_up(size));
        continue;
      }
      const std::byte* data = arena.get() + base[s];
      pool_.submit(
          [this, arena, job, data, size] {
            c_.begin(job);
            c_.chunk(job, ByteView(data, size));
            c_.end(job, nullptr);
          },
          align_up(size));
    }
    batch.clear();
    batch_bytes = 0;
    if (tick_) tick_();
  }

  // A file bigger than the window: its runs in file order through one buffer.
  void stream_direct(std::size_t job) {
    const auto& j = jobs_[job];
    const std::uint64_t buf_size = std::min(opt_.max_read, j.size);
    auto buf = aligned_buffer(buf_size);
    c_.begin(job);
    for (const auto& r : j.runs) {
      for (std::uint64_t done = 0; done < r.length;) {
        const std::uint64_t n = std::min<std::uint64_t>(buf_size, r.length - done);
        if (r.image_offset) {
          stats_.bytes_needed += n;
          stats_.block_bytes_needed += done + n == r.length ? round_up(n) : n;
          Finding err{Code::evidence_read_error, {}, {}};
          if (!read_exact(*r.image_offset + done, buf.get(), n, err)) {
            ++stats_.failed;
            c_.end(job, &err);
            return;
          }
        } else {
          std::memset(buf.get(), 0, static_cast<std::size_t>(n));
        }
        c_.chunk(job, ByteView(buf.get(), n));
        done += n;
        if (tick_) tick_();
      }
    }
    c_.end(job, nullptr);
  }

  void read_through_fs(std::size_t job) {
    const auto& j = jobs_[job];
    ++stats_.through_fs;
    stats_.bytes_needed += j.size;
    stats_.block_bytes_needed += j.size;
    auto short_of = [&](std::uint64_t got) {
      return Finding{Code::fs_file_unreadable, fmt::format("{}: inode {}", fs_.info().source, j.node),
                     fmt::format("file ends at {} of {} bytes", got, j.size)};
    };
    if (j.size <= opt_.window) {
      auto bytes = fs_.read(j.node, 0, j.size);
      if (!bytes) return fail(job, bytes.problem());
      stats_.bytes_read += bytes->size();
      if (bytes->size() < j.size) return fail(job, short_of(bytes->size()));
      pool_.reserve(j.size);
      auto data = std::make_shared<std::vector<std::byte>>(std::move(bytes).value());
      pool_.submit(
          [this, data, job] {
            c_.begin(job);
            c_.chunk(job, ByteView(*data));
            c_.end(job, nullptr);
          },
          j.size);
      if (tick_) tick_();
      return;
    }
    c_.begin(job);
    constexpr std::uint64_t kChunk = 1u << 20;
    for (std::uint64_t off = 0; off < j.size; off += kChunk) {
      const std::uint64_t want = std::min(kChunk, j.size - off);
      auto chunk = fs_.read(j.node, off, want);
      if (!chunk || chunk->size() < want) {
        ++stats_.failed;
        Finding f = chunk ? short_of(off + chunk->size()) : chunk.problem();
        c_.end(job, &f);
        return;
      }
      stats_.bytes_read += chunk->size();
      c_.chunk(job, ByteView(*chunk));
      if (tick_) tick_();
    }
    c_.end(job, nullptr);
  }

  Filesystem& fs_;
  evidence::Source* src_;
  std::span<const ReadJob> jobs_;
  ReadConsumer& c_;
  BulkReadOptions opt_;
  const std::function<void()>& tick_;
  BulkReadStats stats_;
  std::uint64_t last_end_ = 0;
  std::uint64_t block_ = fs_.info().block_size;
  std::shared_ptr<std::byte[]> staging_;  // a coalesced read, before its pieces are copied out
  std::uint64_t staging_size_ = 0;
  // Shared by every read of the run (a check reads mailbox by mailbox): a
  // buffer per Reader would be faulted in anew for each mailbox.
  static Arenas& arenas() {
    static Arenas a{BulkReadOptions{}.window};
    return a;
  }
  Pool pool_;  // last: its threads stop before the rest goes
};

}  // namespace

bool reads_through_fs(const Filesystem& fs, const ReadJob& job) {
  const evidence::Source* src = fs.source();
  if (job.size == 0) return false;
  if (src && job.size > src->size()) return false;  // refused unread
  return !(src && direct_readable(job, *src));
}

BulkReadStats read_files(Filesystem& fs, std::span<const ReadJob> jobs, ReadConsumer& consumer,
                         const BulkReadOptions& opt, const std::function<void()>& tick) {
  Reader r(fs, jobs, consumer, opt, tick);
  return r.run();
}

}  // namespace ss::fs
