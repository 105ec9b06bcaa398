// "Corrupt, keep going" as a value: a Result holds either a value or the
// Finding that explains why there is none. Nothing in the library throws on
// bad evidence; callers decide whether a missing value is fatal.
#pragma once

#include <utility>
#include <variant>

#include "core/problem.hpp"

namespace ss {

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Finding problem) : v_(std::move(problem)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // Precondition: ok(). Checked: calling value() on a problem is a bug in our
  // code, never a property of the evidence.
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Finding& problem() const { return std::get<1>(v_); }

 private:
  std::variant<T, Finding> v_;
};

// For operations that produce nothing but may fail.
struct Unit {};
using Status = Result<Unit>;
inline Status ok_status() { return Unit{}; }

}  // namespace ss
