#include "salvage/imap_session.hpp"

#include <curl/curl.h>
#include <fmt/format.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <type_traits>

namespace ss::salvage::imap {

namespace {

// No single command's responses may be larger (a hostile server could send
// without end).
constexpr std::size_t kMaxResponseBytes = std::size_t{256} << 20;

void curl_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// "EXAMINE", "UID FETCH": what a problem names (never the arguments).
std::string verb(const std::string& command) {
  auto sp = command.find(' ');
  if (command.compare(0, sp, "UID") != 0 || sp == std::string::npos) return command.substr(0, sp);
  return command.substr(0, command.find(' ', sp + 1));
}

}  // namespace

std::string excerpt(std::string_view s, std::size_t max) {
  std::string out;
  for (char c : s.substr(0, std::min(s.size(), max))) out += (c == '\r' || c == '\n') ? ' ' : c;
  if (s.size() > max) out += "...";
  return out;
}

std::string Reply::why() const { return excerpt(fmt::format("{} {}", status, text)); }

Session::Session(const ImapServer& srv, const ImapReadOptions& opt, const std::string& password,
                 std::string authzid, Code failure)
    : srv_(srv), opt_(opt), password_(password), authzid_(std::move(authzid)), failure_(failure) {
  static_assert(sizeof(err_) >= CURL_ERROR_SIZE);
  static_assert(std::is_same_v<curl_socket_t, int>);
  err_.fill('\0');
}

Session::~Session() { disconnect(); }

Result<Reply> Session::run(const std::string& command, bool needs_selected) {
  const bool had_connection = h_ != nullptr;
  auto r = run_once({command}, verb(command));
  if (!r && had_connection && !needs_selected && !login_refused_)
    return run_once({command}, verb(command));
  return r;
}

Result<Reply> Session::run_parts(const std::vector<std::string>& parts, const std::string& what) {
  return run_once(parts, what);
}

Result<std::vector<std::string>> Session::capabilities() {
  if (h_ != nullptr && !caps_.empty()) return caps_;
  auto r = run("CAPABILITY");
  if (!r) return r.problem();
  std::vector<std::string> caps;
  for (const auto& u : r->untagged)
    if (u.name == "CAPABILITY")
      for (const auto& v : u.values)
        if (v.is_string_like()) {
          std::string c = v.text;
          for (auto& ch : c) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
          caps.push_back(std::move(c));
        }
  caps_ = caps;
  return caps;
}

bool Session::has_capability(const std::vector<std::string>& caps, std::string_view name) const {
  return std::find(caps.begin(), caps.end(), name) != caps.end();
}

Result<Reply> Session::run_once(const std::vector<std::string>& parts, const std::string& what) {
  Reply r;
  if (!h_) {
    if (auto c = connect(); !c) return c.problem();
    r.new_connection = true;
  }
  auto problem = [&](std::string why) -> Result<Reply> {
    disconnect();
    return Finding{failure_, place(), fmt::format("{}: {}", what, why)};
  };
  std::string tag = fmt::format("S{}", ++tags_);
  std::size_t next_part = 1;
  const auto part = [&](std::size_t i) {
    return i + 1 == parts.size() ? parts[i] + "\r\n" : parts[i];
  };
  if (parts.empty()) return problem("nothing to send");
  if (auto st = send_all(tag + " " + part(0)); !st.empty()) return problem(st);

  // Read and parse up to our tag's completion. Complete responses are
  // taken as they come; an incomplete one is parsed again once more
  // bytes (a line end, or the rest of its literal) are there.
  std::string buf = std::move(pending_);
  pending_.clear();
  std::size_t done = 0, need = 0, received = 0;
  bool parse = !buf.empty();
  while (true) {
    if (parse) {
      const std::size_t base = done;
      auto p = imap::parse_responses(std::string_view(buf).substr(base));
      for (std::size_t i = 0; i < p.responses.size(); ++i) {
        auto& x = p.responses[i];
        if (x.kind == Response::Kind::continuation) {
          if (next_part >= parts.size()) return problem("an unexpected continuation request");
          if (auto st = send_all(part(next_part++)); !st.empty()) return problem(st);
          continue;
        }
        if (x.kind == Response::Kind::tagged) {
          if (x.tag != tag)
            return problem("a tagged response to a command not sent: " + excerpt(x.tag, 40));
          // anything after it belongs to what comes next
          std::size_t end = i + 1 < p.responses.size() ? p.responses[i + 1].offset : p.consumed;
          pending_ = buf.substr(base + end);
          r.status = x.name;
          r.code = std::move(x.code);
          r.text = std::move(x.text);
          if (r.status != "OK" && r.status != "NO" && r.status != "BAD")
            return problem("a tagged response that is not OK, NO or BAD");
          return r;
        }
        if (x.name == "BYE") return problem("the server said BYE: " + excerpt(x.text));
        x.offset += base;
        r.untagged.push_back(std::move(x));
      }
      done = base + p.consumed;
      if (p.error && !p.incomplete)
        return problem("the server's response is not IMAP: " + *p.error);
      need = p.incomplete && p.need > 0 ? base + p.need : 0;
      if (need > kMaxResponseBytes) return problem("a literal larger than any answer may be");
      // drop what is parsed, so that the buffer holds one response at most
      if (done > (std::size_t{1} << 20)) {
        buf.erase(0, done);
        need -= need ? done : 0;
        done = 0;
      }
    }
    std::array<char, 1 << 16> chunk{};
    std::size_t n = 0;
    if (auto st = recv_some(chunk.data(), chunk.size(), n); !st.empty()) return problem(st);
    received += n;
    if (received > kMaxResponseBytes)
      return problem(fmt::format("the answer is larger than {} bytes", kMaxResponseBytes));
    buf.append(chunk.data(), n);
    parse = need ? buf.size() >= need : std::memchr(chunk.data(), '\n', n) != nullptr;
  }
}

Status Session::connect() {
  curl_init_once();
  err_.fill('\0');
  h_ = curl_easy_init();
  auto fail = [&](std::string why) -> Status {
    disconnect();
    return Finding{failure_, place(), "connecting and logging in: " + why};
  };
  if (!h_) return fail("libcurl could not be set up");
  std::string host = srv_.host.find(':') != std::string::npos ? "[" + srv_.host + "]" : srv_.host;
  url_ = fmt::format("{}://{}:{}/", srv_.tls ? "imaps" : "imap", host, srv_.port);
  curl_easy_setopt(h_, CURLOPT_URL, url_.c_str());
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(h_, CURLOPT_PROTOCOLS_STR, "imap,imaps");
#endif
  curl_easy_setopt(h_, CURLOPT_USERNAME, srv_.user.c_str());
  curl_easy_setopt(h_, CURLOPT_PASSWORD, password_.c_str());
  if (!authzid_.empty()) {
    curl_easy_setopt(h_, CURLOPT_SASL_AUTHZID, authzid_.c_str());
    curl_easy_setopt(h_, CURLOPT_LOGIN_OPTIONS, "AUTH=PLAIN");
  }
  curl_easy_setopt(h_, CURLOPT_CONNECT_ONLY, 1L);
  curl_easy_setopt(h_, CURLOPT_ERRORBUFFER, err_.data());
  curl_easy_setopt(h_, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h_, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h_, CURLOPT_CONNECTTIMEOUT, opt_.connect_timeout_s);
  curl_easy_setopt(h_, CURLOPT_SERVER_RESPONSE_TIMEOUT, opt_.response_timeout_s);
  if (opt_.insecure_tls) {
    curl_easy_setopt(h_, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h_, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!opt_.ca_file.empty()) curl_easy_setopt(h_, CURLOPT_CAINFO, opt_.ca_file.c_str());
  if (opt_.starttls && !srv_.tls) curl_easy_setopt(h_, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  CURLcode rc = curl_easy_perform(h_);
  if (rc != CURLE_OK) {
    if (rc == CURLE_LOGIN_DENIED) login_refused_ = true;
    std::string detail = err_[0] ? std::string(err_.data()) : std::string(curl_easy_strerror(rc));
    return fail(fmt::format("{} (libcurl: {})", excerpt(detail), curl_easy_strerror(rc)));
  }
  if (curl_easy_getinfo(h_, CURLINFO_ACTIVESOCKET, &sock_) != CURLE_OK ||
      sock_ == CURL_SOCKET_BAD)
    return fail("libcurl gave no socket");
  pending_.clear();
  return ok_status();
}

void Session::disconnect() {
  if (h_) curl_easy_cleanup(h_);  // libcurl says LOGOUT and closes
  h_ = nullptr;
  sock_ = CURL_SOCKET_BAD;
  pending_.clear();
  caps_.clear();
}

// Waits until the socket is readable (or writable); false on timeout.
bool Session::wait(short events) const {
  pollfd p{sock_, events, 0};
  int ms = static_cast<int>(std::min<long>(opt_.response_timeout_s, 86400L) * 1000L);
  while (true) {
    int r = ::poll(&p, 1, ms);
    if (r < 0 && errno == EINTR) continue;
    return r > 0;
  }
}

// "" when all was sent, else why not.
std::string Session::send_all(const std::string& line) {
  std::size_t off = 0;
  while (off < line.size()) {
    std::size_t n = 0;
    CURLcode rc = curl_easy_send(h_, line.data() + off, line.size() - off, &n);
    if (rc == CURLE_AGAIN) {
      if (!wait(POLLOUT)) return "the server takes no more data (timeout)";
      continue;
    }
    if (rc != CURLE_OK)
      return fmt::format("sending failed (libcurl: {})", curl_easy_strerror(rc));
    off += n;
  }
  return {};
}

// "" when n > 0 bytes were received, else why not.
std::string Session::recv_some(char* buf, std::size_t size, std::size_t& n) {
  while (true) {
    CURLcode rc = curl_easy_recv(h_, buf, size, &n);
    if (rc == CURLE_AGAIN) {
      if (!wait(POLLIN))
        return fmt::format("no answer for {} s (timeout)", opt_.response_timeout_s);
      continue;
    }
    if (rc != CURLE_OK)
      return fmt::format("receiving failed (libcurl: {})", curl_easy_strerror(rc));
    if (n == 0) return "the server closed the connection";
    return {};
  }
}

std::string Session::place() const {
  return authzid_.empty() ? srv_.display() : fmt::format("{} (as {})", srv_.display(), authzid_);
}

}  // namespace ss::salvage::imap
