// IMAP modified UTF-7 (RFC 3501 §5.1.3) → UTF-8, as used in Cyrus internal
// mailbox names. Lenient by design: evidence may hold damaged or hostile
// names, so a malformed shifted sequence is kept byte for byte instead of
// failing, and nothing here throws on input.
#pragma once

#include <string>
#include <string_view>

namespace ss::spool {

// Decodes every well-formed "&...-" sequence; "&-" is '&'. A sequence is kept
// as is when it is unterminated, holds a byte outside the modified base64
// alphabet, leaves non-zero or too many padding bits, has an odd number of
// bytes, an unpaired surrogate, or encodes a code point below 0x80 (RFC 3501
// forbids encoding printable ASCII, and a decoded control character or '/'
// would make the display name lie).
std::string mutf7_to_utf8(std::string_view in);

}  // namespace ss::spool
