// salvage/: one IMAP connection to a live server — the new master, read by
// `salvage --not-in imap://` (other_side_imap.cpp) and written to by
// `reinject` (reinject.cpp). libcurl connects, verifies TLS (implicit, or
// STARTTLS) and logs in (CURLOPT_CONNECT_ONLY: greeting, CAPABILITY, SASL,
// PLAIN with an authorization identity when one is given); commands then go
// over that connection (curl_easy_send/recv), each answer read up to its tag
// by imap::parse_responses. A command may be sent in parts: the next part
// goes when the server asks for it with a continuation ("+"), as a
// synchronizing literal needs. Never prints; the password is never put into a
// finding.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "core/problem.hpp"
#include "core/result.hpp"
#include "salvage/other_side_imap.hpp"

typedef void CURL;  // NOLINT: as curl/curl.h declares it

namespace ss::salvage::imap {

// Server text in a finding: short, one line (the report escapes the rest).
std::string excerpt(std::string_view s, std::size_t max = 160);

struct Reply {
  std::vector<Response> untagged;
  std::string status;       // OK, NO or BAD
  std::vector<Value> code;  // of the tagged response
  std::string text;         // of the tagged response
  bool new_connection = false;
  bool ok() const { return status == "OK"; }
  std::string why() const;
};

class Session {
 public:
  // `failure`: the code of the problems this session gives.
  Session(const ImapServer& srv, const ImapReadOptions& opt, const std::string& password,
          std::string authzid, Code failure = Code::other_side_imap_failed);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const std::string& authzid() const { return authzid_; }
  bool login_refused() const { return login_refused_; }

  // One command (connecting first when needed). The problem: no complete
  // answer (connection, TLS, login, timeout, a response that is not IMAP);
  // the connection is then dropped, and the next command makes a new one.
  // A command that needs no selected mailbox is tried once more on a new
  // connection when an old one fails (the server logs idle sessions out).
  Result<Reply> run(const std::string& command, bool needs_selected = false);
  // A command in parts (without tag or final CRLF): parts[0] is sent, and
  // each later part when the server sends a continuation request. Never
  // retried (an APPEND may have been taken). `what` names it in problems.
  Result<Reply> run_parts(const std::vector<std::string>& parts, const std::string& what);
  // The server's capabilities (upper case), asked once per connection.
  Result<std::vector<std::string>> capabilities();
  bool has_capability(const std::vector<std::string>& caps, std::string_view name) const;

 private:
  Result<Reply> run_once(const std::vector<std::string>& parts, const std::string& what);
  Status connect();
  void disconnect();
  bool wait(short events) const;
  std::string send_all(const std::string& bytes);
  std::string recv_some(char* buf, std::size_t size, std::size_t& n);
  std::string place() const;

  const ImapServer& srv_;
  const ImapReadOptions& opt_;
  const std::string& password_;
  std::string authzid_;
  Code failure_;
  CURL* h_ = nullptr;
  int sock_ = -1;  // curl_socket_t
  std::string pending_;  // received after the last answer
  std::uint64_t tags_ = 0;
  bool login_refused_ = false;
  std::array<char, 256> err_{};  // CURL_ERROR_SIZE
  std::string url_;
  std::vector<std::string> caps_;  // of this connection; empty: not asked yet
};

}  // namespace ss::salvage::imap
