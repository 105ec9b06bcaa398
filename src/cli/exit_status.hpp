// The exit status bitmask (fsck tradition, DESIGN.md "Exit status"):
//   0  nothing wrong
//   1  damage or relaxation found, and nothing is left unrecovered
//   4  something is left: a message unverified/unread/unrecoverable, or a
//      mailbox that could not be read
//   8  operational error (cannot open the evidence, cannot write OUT)
//  16  usage error
//  32  cancelled (the run can be resumed)
#pragma once

#include "core/problem.hpp"

namespace ss::cli {

enum ExitBits : int {
  kExitOk = 0,
  kExitFound = 1,
  kExitLeft = 4,
  kExitOperational = 8,
  kExitUsage = 16,
  kExitCancelled = 32,
};

// For listing commands (probe, ls): info findings change nothing; a
// relaxation, warning or damage sets 1; an error (a mailbox or the spool
// could not be read) sets 4; a fatal one (an evidence could not be opened)
// sets 8.
inline int exit_status_for(const Findings& findings) {
  int bits = kExitOk;
  for (const auto& f : findings.items()) {
    switch (f.severity()) {
      case Severity::info: break;
      case Severity::relaxation:
      case Severity::warning:
      case Severity::damage: bits |= kExitFound; break;
      case Severity::error: bits |= kExitLeft; break;
      case Severity::fatal: bits |= kExitOperational; break;
    }
  }
  return bits;
}

}  // namespace ss::cli
