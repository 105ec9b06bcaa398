// report/ for `salvage`: report.xml, the salvage in Digital Forensics XML
// (DFXML, the schema vendored in tests/dfxml/ and validated against there).
//
// One <fileobject> per manifest entry, in manifest order: <filename> is where
// the message now lives under OUT (or, when nothing was written, its source
// path "dir/uid."), <filesize>, <byte_runs> and <hashdigest type="sha1">
// describe the bytes read (present only when bytes were read), <inode> is
// the source file's inode in the evidence, <mtime> the internal date (UTC).
// Image offsets are not yet tracked, so no byte_run carries img_offset: the
// one byte run says "file bytes 0..size", nothing more.
// Everything only spoolsalvage knows (mailbox, uid, status, guid, flags,
// keywords, expunged, provenance, ...) is in our own namespace, kDfxmlSsNs.
//
// Every string value is an element's text (none in attributes), so an
// escaped one can be marked; see xml_text.
//
// Deterministic: run-specific values (tool version, operating system, and
// any start time or command line the run metadata carries) appear only in
// <creator>; the rest of the document depends on the evidence alone.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "report/listing.hpp"
#include "salvage/salvage.hpp"
#include "spool/discovery.hpp"

namespace ss::report {

inline constexpr const char* kDfxmlNs =
    "http://www.forensicswiki.org/wiki/Category:Digital_Forensics_XML";
inline constexpr const char* kDfxmlVersion = "2.0.0-beta.0";  // of tests/dfxml/dfxml.xsd
inline constexpr const char* kDfxmlSsNs = "https://spoolsalvage.invalid/ns/1";  // ours

// run: the run metadata (as in report.json's "run"). Read: "tool", "version";
// and, when present, "start_time" (ISO 8601), "command_line", "host",
// "username" for <execution_environment>.
// Written in three parts, so that the fileobjects stream out as the salvage
// makes its manifest entries: the document's start (up to <source>), one
// <fileobject> per entry, and the end (totals, closing tag).
std::string salvage_dfxml_begin(const std::vector<EvidenceView>& ev, const nlohmann::json& run);
std::string salvage_dfxml_fileobject(const salvage::ManifestEntry& e,
                                     const std::vector<EvidenceView>& ev);
std::string salvage_dfxml_end(const salvage::SalvageResult& r);

// Text made safe for XML 1.0 character data, deterministic and reversible.
// Text that XML 1.0 can carry unchanged is written as it is, with only
// & < > " ' as &amp; &lt; &gt; &quot; &apos; (so "\Seen" stays "\Seen").
// Text holding anything else is escaped, and the element that holds it gets
// the attribute ss:escaped="1": then each backslash is written as two, and
// each byte XML cannot carry, or that a parser would not hand back unchanged,
// as "\xNN" (lowercase hex, one escape per byte): C0 controls including TAB,
// LF and CR (parsers normalise them), DEL, C1 controls (U+0080..U+009F),
// U+FFFE, U+FFFF, and every byte of invalid UTF-8 (overlong, surrogate,
// beyond U+10FFFF, truncated). Other valid UTF-8 always passes unchanged.
// A reader undoes "\\" and "\xNN" only where ss:escaped="1".
struct XmlText {
  std::string text;
  bool escaped = false;  // the backslash form was used
};
XmlText xml_text(std::string_view s);

}  // namespace ss::report
