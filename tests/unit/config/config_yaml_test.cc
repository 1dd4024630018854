// The YAML layer: syntax errors with libyaml's line, the YAML features that
// nutcracker refuses (and so do we), the shape of the top level, and the tree
// that yaml_tree builds.
#include <gtest/gtest.h>

#include <string>

#include "config/yaml_tree.h"
#include "config_test_util.h"

namespace walnut::config {
namespace {

using testing::fails_with;
using testing::load;
using testing::pool_yaml;

TEST(ConfigYamlTree, BuildsNodesWithLines) {
  YamlResult r = parse_yaml("a:\n  b: c\n  d:\n    - e\n    - f\n");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_FALSE(r.empty);
  ASSERT_TRUE(r.root.is_mapping());
  ASSERT_EQ(r.root.pair_count(), 1u);
  EXPECT_EQ(r.root.key_at(0).value, "a");
  EXPECT_EQ(r.root.key_at(0).line, 1);
  const YamlNode& a = r.root.value_at(0);
  ASSERT_TRUE(a.is_mapping());
  ASSERT_EQ(a.pair_count(), 2u);
  EXPECT_EQ(a.key_at(0).value, "b");
  EXPECT_EQ(a.value_at(0).value, "c");
  EXPECT_EQ(a.value_at(0).line, 2);
  const YamlNode& d = a.value_at(1);
  ASSERT_TRUE(d.is_sequence());
  ASSERT_EQ(d.children.size(), 2u);
  EXPECT_EQ(d.children[0].value, "e");
  EXPECT_EQ(d.children[0].line, 4);
  EXPECT_EQ(d.children[1].value, "f");
  EXPECT_EQ(d.children[1].line, 5);
}

TEST(ConfigYamlTree, EmptyAndCommentOnlyInputHaveNoDocument) {
  for (const char* text : {"", "\n\n", "# just a comment\n", "   \n# x\n"}) {
    YamlResult r = parse_yaml(text);
    EXPECT_TRUE(r.ok) << text;
    EXPECT_TRUE(r.empty) << text;
  }
}

TEST(ConfigYamlTree, RefusesVeryDeepNesting) {
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += std::string(2 * i, ' ') + "k:\n";
  YamlResult r = parse_yaml(deep + std::string(80, ' ') + "v\n");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "nesting is too deep");
  EXPECT_EQ(r.error_line, 17);
}

TEST(ConfigYaml, EmptyFileHasNoPools) {
  EXPECT_TRUE(fails_with("", "t.yml:1: the file has no pools"));
  EXPECT_TRUE(fails_with("# only comments\n\n# here\n", "t.yml:1: the file has no pools"));
}

TEST(ConfigYaml, TopLevelMustBeAMapping) {
  EXPECT_TRUE(
      fails_with("hello\n", "t.yml:1: the top level must be a mapping of pool names to pools"));
  EXPECT_TRUE(fails_with("\n- a\n- b\n",
                         "t.yml:2: the top level must be a mapping of pool names to pools"));
}

TEST(ConfigYaml, SyntaxErrorsCarryLibyamlsLine) {
  // An unterminated quote runs to the end of the file; the message says where
  // it started.
  EXPECT_TRUE(fails_with("alpha:\n  listen: \"127.0.0.1:22121\n  servers:\n",
                         "t.yml:4: YAML syntax error: found unexpected end of stream while "
                         "scanning a quoted scalar that starts at line 2"));
  // Same line for problem and context: no "starts at".
  EXPECT_TRUE(fails_with("a: 'x\n",
                         "t.yml:2: YAML syntax error: found unexpected end of stream "
                         "while scanning a quoted scalar that starts at line 1"));
}

// libyaml names the rule that failed; the message adds the mistake a person
// made, read off the lines themselves.
TEST(ConfigYaml, SyntaxErrorsSayWhatToFix) {
  const std::string columns =
      ": the keys of one mapping, and the '- ' items of one list, must start in the same column";
  // A key indented deeper than the key above it.
  EXPECT_TRUE(fails_with("alpha:\n  listen: 127.0.0.1:22121\n   bad: x\n",
                         "t.yml:3: YAML syntax error: mapping values are not allowed in this "
                         "context; line 3 is indented 3 spaces and line 2 above it 2 spaces" +
                             columns));
  // ... or less deep (a comment and a blank line in between do not count).
  EXPECT_TRUE(fails_with("alpha:\n  listen: 127.0.0.1:22121\n  # c\n\n hash: md5\n",
                         "t.yml:5: YAML syntax error: did not find expected key while parsing "
                         "a block mapping that starts at line 1; line 5 is indented 1 space and "
                         "line 2 above it 2 spaces" +
                             columns));
  // A list item less deep than the one above.
  EXPECT_TRUE(fails_with(pool_yaml("   - 127.0.0.1:6380:1\n"),
                         "t.yml:5: YAML syntax error: did not find expected key while parsing "
                         "a block mapping that starts at line 2; line 5 is indented 3 spaces and "
                         "line 4 above it 4 spaces" +
                             columns));
  // Tabs, after a value and at the start of a list.
  EXPECT_TRUE(fails_with(pool_yaml("\t- 127.0.0.1:6380:1\n"),
                         "t.yml:5: YAML syntax error: found a tab character that violates "
                         "indentation while scanning a plain scalar that starts at line 4; line "
                         "5 is indented with a tab; YAML indentation must be spaces"));
  EXPECT_TRUE(fails_with("alpha:\n  listen: 127.0.0.1:22121\n  servers:\n\t- 127.0.0.1:6379:1\n",
                         "t.yml:4: YAML syntax error: found character that cannot start any "
                         "token while scanning for the next token; line 4 is indented with a "
                         "tab; YAML indentation must be spaces"));
  // Same indentation: a value with ': ' in it.
  EXPECT_TRUE(fails_with("a: b: c\n",
                         "t.yml:1: YAML syntax error: mapping values are not allowed in this "
                         "context; a value that contains ': ' must be quoted"));
}

// A list item indented deeper than the one above is not a syntax error: YAML
// folds it into the item above, and the joined value is what fails.
TEST(ConfigYaml, AValueJoinedFromSeveralLinesSaysWhy) {
  const std::string joined =
      "; YAML joined lines 4 to 5 into this one value because line 5 is indented deeper than "
      "line 4: start every '- ' item of a list, and every key of a mapping, in the same column";
  EXPECT_TRUE(fails_with("alpha:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:6379:1\n"
                         "    - 127.0.0.1:6380:1\n",
                         "t.yml:4: server '127.0.0.1:6379:1 - 127.0.0.1:6380:1' has an invalid "
                         "weight '1 -'; a server is \"host:port:weight [name]\" with a whole "
                         "number weight" +
                             joined));
  EXPECT_TRUE(fails_with(pool_yaml("  timeout: 400\n    300\n"),
                         "t.yml:5: 'timeout' must be a non-negative integer, got '400 300'; YAML "
                         "joined lines 5 to 6 into this one value because line 6 is indented "
                         "deeper than line 5: start every '- ' item of a list, and every key of a "
                         "mapping, in the same column"));
}

TEST(ConfigYaml, BadEncodingIsReportedOnItsLine) {
  EXPECT_TRUE(fails_with("alpha:\n  listen: \xff\xfe:1\n",
                         "t.yml:2: invalid input: invalid leading UTF-8 octet"));
  EXPECT_TRUE(fails_with(pool_yaml("  hash: md5\x01\n"),
                         "t.yml:5: invalid input: control characters are not allowed"));
}

TEST(ConfigYaml, CrlfLineEndingsWork) {
  LoadResult r =
      load("alpha:\r\n  listen: 127.0.0.1:22121\r\n  servers:\r\n    - 127.0.0.1:6379:1\r\n");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config.pools[0].listen.port, 22121);
  EXPECT_EQ(r.config.pools[0].servers[0].line, 4);
  EXPECT_TRUE(fails_with("alpha:\r\n  listen: 127.0.0.1:22121\r\n  hsah: 1\r\n",
                         "t.yml:3: unknown key 'hsah' in pool 'alpha'"));
}

// nutcracker rejects all of these before it looks at a single key.
TEST(ConfigYaml, DocumentMarkersAreRefused) {
  EXPECT_TRUE(fails_with("---\n" + pool_yaml(), "t.yml:1: document marker '---' is not supported"));
  EXPECT_TRUE(fails_with(pool_yaml("...\n"), "t.yml:5: document marker '...' is not supported"));
  EXPECT_TRUE(
      fails_with(pool_yaml("---\nbeta: 1\n"), "t.yml:5: only one YAML document is allowed"));
  EXPECT_TRUE(fails_with("%YAML 1.1\n---\n" + pool_yaml(),
                         "t.yml:1: YAML directives ('%YAML', '%TAG') are not supported"));
}

TEST(ConfigYaml, FlowStyleIsRefused) {
  EXPECT_TRUE(fails_with("alpha:\n  listen: 127.0.0.1:22121\n  servers: [127.0.0.1:6379:1]\n",
                         "t.yml:3: flow style '[...]' is not supported; write one '- item' per "
                         "line"));
  EXPECT_TRUE(fails_with("alpha: {listen: 127.0.0.1:22121}\n",
                         "t.yml:1: flow style '{...}' is not supported; write one 'key: value' "
                         "per line"));
  // An unquoted bracketed IPv6 address is a flow list to YAML: the message
  // gives the quoted form to write.
  EXPECT_TRUE(fails_with("alpha:\n  listen: [::1]:22121  # local\n",
                         "t.yml:2: an IPv6 address must be quoted: write \"[::1]:22121\" "
                         "(unquoted, YAML reads '[' as the start of a list)"));
  EXPECT_TRUE(fails_with(pool_yaml("    - [2001:db8::7]:6379:1 seven\n"),
                         "t.yml:5: an IPv6 address must be quoted: write \"[2001:db8::7]:6379:1 "
                         "seven\" (unquoted, YAML reads '[' as the start of a list)"));
  // Quoted, it is an address.
  LoadResult r = load("alpha:\n  listen: \"[::1]:22121\"\n  servers:\n    - \"[::1]:6379:1\"\n");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config.pools[0].listen.host, "::1");
  // A list that is not an address keeps the general message.
  EXPECT_TRUE(fails_with(pool_yaml("  hash: [md5]:x\n"),
                         "t.yml:5: flow style '[...]' is not supported; write one '- item' per "
                         "line"));
}

TEST(ConfigYaml, AnchorsAliasesAndTagsAreRefused) {
  EXPECT_TRUE(fails_with(pool_yaml("  hash: &h md5\n"), "t.yml:5: anchor '&h' is not supported"));
  EXPECT_TRUE(fails_with(pool_yaml("  hash: *h\n"), "t.yml:5: alias '*h' is not supported"));
  EXPECT_TRUE(fails_with(pool_yaml("  timeout: !!int 5\n"),
                         "t.yml:5: tag 'tag:yaml.org,2002:int' is not supported"));
  EXPECT_TRUE(fails_with("alpha: !pool\n  listen: x:1\n", "t.yml:1: tag '!pool' is not supported"));
  EXPECT_TRUE(
      fails_with("alpha:\n  servers: &s\n    - a:1:1\n", "t.yml:2: anchor '&s' is not supported"));
}

TEST(ConfigYaml, OtherScalarStylesAreJustStrings) {
  LoadResult r = load(
      "alpha:\n"
      "  listen: \"127.0.0.1:22121\"\n"
      "  hash: 'md5'\n"
      "  redis_auth: >-\n"
      "    folded pass\n"
      "  redis: true\n"
      "  servers:\n"
      "    - \"127.0.0.1:6379:1 quoted name\"\n");
  // The name is "name" (after the last space), so the weight is "1 quoted":
  // quoting does not protect spaces, exactly as in nutcracker.
  EXPECT_FALSE(r.ok);
  LoadResult ok = load(
      "alpha:\n"
      "  listen: \"127.0.0.1:22121\"\n"
      "  hash: 'md5'\n"
      "  redis_auth: >-\n"
      "    folded pass\n"
      "  redis: true\n"
      "  servers:\n"
      "    - \"127.0.0.1:6379:1 name\"\n");
  ASSERT_TRUE(ok.ok) << ok.error;
  EXPECT_EQ(ok.config.pools[0].hash, "md5");
  EXPECT_EQ(ok.config.pools[0].redis_auth, "folded pass");
  EXPECT_EQ(ok.config.pools[0].servers[0].name, "name");
}

}  // namespace
}  // namespace walnut::config
