// A tiny YAML document tree built from libyaml's event stream, with the line
// of every node, so that the config rules can be written against plain data
// and every error can point at a line.
//
// It accepts only the YAML subset that nutcracker 0.5.0 accepts (block style,
// one implicit document, no anchors, aliases, tags or directives), so that a
// file walnut accepts is also a file nutcracker accepts. It knows nothing about
// pools or keys; that is config.cc's job.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace walnut::config {

struct YamlNode {
  enum class Kind { scalar, sequence, mapping };

  Kind kind = Kind::scalar;
  int line = 0;       // 1-based line where the node starts
  int end_line = 0;   // scalar only: its last line (a plain value may run on)
  std::string value;  // scalar only
  // sequence: the items; mapping: keys and values alternating
  // (key0, value0, key1, value1, ...), in file order.
  std::vector<YamlNode> children;

  bool is_scalar() const { return kind == Kind::scalar; }
  bool is_sequence() const { return kind == Kind::sequence; }
  bool is_mapping() const { return kind == Kind::mapping; }
  size_t pair_count() const { return children.size() / 2; }
  const YamlNode& key_at(size_t i) const { return children[2 * i]; }
  const YamlNode& value_at(size_t i) const { return children[2 * i + 1]; }
};

struct YamlResult {
  bool ok = false;
  bool empty = false;  // no document at all (empty or comments only)
  int error_line = 0;  // 1-based, when !ok
  std::string error;   // message without file or line, when !ok
  YamlNode root;
};

// Parses `text` into a tree. Never throws.
YamlResult parse_yaml(std::string_view text);

}  // namespace walnut::config
