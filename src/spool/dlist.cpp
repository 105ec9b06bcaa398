#include "spool/dlist.hpp"

#include <fmt/format.h>

namespace ss::spool {

DlistValue::DlistValue() = default;
namespace {

constexpr int kMaxDepth = 32;
constexpr std::size_t kMaxElements = 100000;

class Parser {
 public:
  explicit Parser(std::string_view in) : in_(in) {}

  std::optional<DlistValue> value(int depth) {
    skip_spaces();
    if (depth > kMaxDepth) return fail("nested too deeply");
    if (pos_ >= in_.size()) return fail("unexpected end");
    char c = in_[pos_];
    if (c == '%') {
      if (pos_ + 1 < in_.size() && in_[pos_ + 1] == '(') {
        pos_ += 2;
        return kvlist(depth);
      }
      return fail("'%' not followed by '('");
    }
    if (c == '(') {
      ++pos_;
      return list(depth);
    }
    if (c == '"') return quoted();
    if (c == '{') return literal();
    if (c == ')') return fail("unexpected ')'");
    return atom();
  }

  std::size_t pos() const { return pos_; }
  const std::string& error() const { return error_; }

 private:
  std::optional<DlistValue> fail(std::string_view why) {
    if (error_.empty()) error_ = fmt::format("{} at byte {}", why, pos_);
    return std::nullopt;
  }
  void skip_spaces() {
    while (pos_ < in_.size() && in_[pos_] == ' ') ++pos_;
  }
  static bool atom_end(char c) {
    return c == ' ' || c == '(' || c == ')' || c == '\r' || c == '\n' || c == '"';
  }

  std::optional<DlistValue> atom() {
    std::size_t start = pos_;
    while (pos_ < in_.size() && !atom_end(in_[pos_])) ++pos_;
    if (pos_ == start) return fail("empty atom");
    DlistValue v;
    auto text = in_.substr(start, pos_ - start);
    if (text == "NIL") {
      v.kind = DlistValue::Kind::nil;
    } else {
      v.kind = DlistValue::Kind::string;
      v.text = std::string(text);
    }
    return v;
  }

  std::optional<DlistValue> quoted() {
    ++pos_;  // opening quote
    DlistValue v;
    v.kind = DlistValue::Kind::string;
    while (pos_ < in_.size()) {
      char c = in_[pos_++];
      if (c == '"') return v;
      if (c == '\\') {
        if (pos_ >= in_.size()) break;
        c = in_[pos_++];
      }
      v.text += c;
    }
    return fail("unterminated quoted string");
  }

  std::optional<DlistValue> literal() {
    ++pos_;  // '{'
    std::size_t len = 0;
    std::size_t digits = 0;
    while (pos_ < in_.size() && in_[pos_] >= '0' && in_[pos_] <= '9') {
      if (++digits > 12) return fail("literal length too long");
      len = len * 10 + static_cast<std::size_t>(in_[pos_] - '0');
      ++pos_;
    }
    if (digits == 0) return fail("literal without a length");
    if (pos_ < in_.size() && in_[pos_] == '+') ++pos_;
    if (pos_ >= in_.size() || in_[pos_] != '}') return fail("literal length not closed by '}'");
    ++pos_;
    if (pos_ + 1 < in_.size() && in_[pos_] == '\r' && in_[pos_ + 1] == '\n')
      pos_ += 2;
    else if (pos_ < in_.size() && in_[pos_] == '\n')
      ++pos_;  // tolerated: CR lost
    else
      return fail("literal not followed by CRLF");
    if (len > in_.size() - pos_)
      return fail(fmt::format("literal of {} bytes runs past the end", len));
    DlistValue v;
    v.kind = DlistValue::Kind::string;
    v.text = std::string(in_.substr(pos_, len));
    pos_ += len;
    return v;
  }

  std::optional<DlistValue> list(int depth) {
    DlistValue v;
    v.kind = DlistValue::Kind::list;
    while (true) {
      skip_spaces();
      if (pos_ >= in_.size()) return fail("list not closed");
      if (in_[pos_] == ')') {
        ++pos_;
        return v;
      }
      if (v.items.size() >= kMaxElements) return fail("list too long");
      auto item = value(depth + 1);
      if (!item) return std::nullopt;
      v.items.push_back(std::move(*item));
    }
  }

  std::optional<DlistValue> kvlist(int depth) {
    DlistValue v;
    v.kind = DlistValue::Kind::kvlist;
    while (true) {
      skip_spaces();
      if (pos_ >= in_.size()) return fail("kvlist not closed");
      if (in_[pos_] == ')') {
        ++pos_;
        return v;
      }
      if (v.kv.size() >= kMaxElements) return fail("kvlist too long");
      auto key = value(depth + 1);
      if (!key) return std::nullopt;
      if (key->kind != DlistValue::Kind::string) return fail("kvlist key is not a string");
      auto val = value(depth + 1);
      if (!val) return std::nullopt;
      v.kv.emplace_back(std::move(key->text), std::move(*val));
    }
  }

  std::string_view in_;
  std::size_t pos_ = 0;
  std::string error_;
};

}  // namespace

const DlistValue* DlistValue::get(std::string_view key) const {
  if (kind != Kind::kvlist) return nullptr;
  for (const auto& [k, v] : kv)
    if (k == key) return &v;
  return nullptr;
}

std::optional<std::string> DlistValue::get_string(std::string_view key) const {
  const DlistValue* v = get(key);
  if (!v || v->kind != Kind::string) return std::nullopt;
  return v->text;
}

DlistResult parse_dlist(std::string_view in) {
  Parser p(in);
  DlistResult r;
  r.value = p.value(0);
  r.consumed = p.pos();
  if (!r.value) r.error = p.error();
  return r;
}

}  // namespace ss::spool
