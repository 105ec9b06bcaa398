// imapd.conf parsing (src/spool/imapd_conf).
#include <doctest/doctest.h>

#include <string>

#include "spool/imapd_conf.hpp"

using namespace ss::spool;

TEST_CASE("imapd.conf: the settings discovery needs") {
  auto c = parse_imapd_conf(
      "# Debian imapd.conf\n"
      "configdirectory: /var/lib/cyrus\n"
      "\n"
      "partition-default: /var/spool/cyrus/mail\n"
      "partition-news:/var/spool/cyrus/news\r\n"
      "metapartition-default: /var/spool/cyrus/meta\n"
      "metapartition_files: header index\n"
      "   # indented comment\n"
      "HashImapSpool: yes\n"
      "fulldirhash: 1\n"
      "unixhierarchysep: no\n"
      "mboxlist_db: Skiplist\n"
      "mailbox_legacy_dirs: on\n"
      "virtdomains: userid\n"
      "deletedprefix: Removed\n"
      "admins: cyrus\n"
      "  root\n");
  CHECK(c.configdirectory == "/var/lib/cyrus");
  REQUIRE(c.partitions.size() == 2);
  CHECK(c.partitions.at("default") == "/var/spool/cyrus/mail");
  CHECK(c.partitions.at("news") == "/var/spool/cyrus/news");
  CHECK(c.metapartitions.at("default") == "/var/spool/cyrus/meta");
  CHECK(c.metapartition_files == "header index");
  CHECK(c.hashimapspool);
  CHECK(c.fulldirhash);
  CHECK_FALSE(c.unixhierarchysep);
  CHECK(c.mboxlist_db == "skiplist");
  CHECK(c.mboxlist_db_set);
  CHECK(c.mailbox_legacy_dirs);
  CHECK(c.virtdomains);
  CHECK(c.deletedprefix == "Removed");
  CHECK(c.options.at("admins") == "cyrus root");
  CHECK(c.ignored_lines == 0);
}

TEST_CASE("imapd.conf: defaults, last setting wins, junk is ignored") {
  auto c = parse_imapd_conf(
      "partition-default: /a\npartition-default: /b\nthis is junk\n:novalue\n"
      "virtdomains: off\nhashimapspool: maybe\n");
  CHECK(c.partitions.at("default") == "/b");
  CHECK(c.ignored_lines == 2);
  CHECK_FALSE(c.virtdomains);
  CHECK_FALSE(c.hashimapspool);
  CHECK(c.unixhierarchysep);
  CHECK(c.mboxlist_db == "twoskip");
  CHECK_FALSE(c.mboxlist_db_set);
  CHECK(c.deletedprefix == "DELETED");
  CHECK(c.configdirectory.empty());
}

TEST_CASE("imapd.conf: indented key lines are keys, hostile input") {
  auto c = parse_imapd_conf("configdirectory: /x\n  partition-default: /y\n");
  CHECK(c.partitions.at("default") == "/y");
  CHECK(c.configdirectory == "/x");
  std::string junk;
  for (int i = 0; i < 5000; ++i) junk += static_cast<char>(i * 7 % 256);
  auto j = parse_imapd_conf(junk);
  (void)j;
  CHECK(parse_imapd_conf("").options.empty());
  CHECK(parse_conf_bool("TRUE", false));
  CHECK_FALSE(parse_conf_bool("Off", true));
  CHECK(parse_conf_bool("whatever", true));
}
