// Event-driven libyaml reader: turns the event stream into a YamlNode tree and
// rejects the YAML features nutcracker 0.5.0 refuses (it checks tokens before
// parsing, so we check the equivalent event fields).
//
// The tree is built with an explicit stack rather than recursion so that a
// hostile file cannot blow the C++ stack; depth is capped anyway because the
// config never needs more than three levels.
#include "config/yaml_tree.h"

#include <yaml.h>

#include <algorithm>
#include <utility>

#include "common/non_copyable.h"
#include "config/yaml_hints.h"

namespace walnut::config {

namespace {

// The config needs root -> pool -> servers; anything much deeper is a mistake,
// and the cap keeps memory bounded on a malicious file.
constexpr size_t kMaxDepth = 16;

// Owns a yaml_parser_t for its whole life.
class Parser : private NonCopyable {
 public:
  Parser() { ok_ = yaml_parser_initialize(&parser_) != 0; }
  ~Parser() {
    if (ok_) yaml_parser_delete(&parser_);
  }

  bool ok() const { return ok_; }
  yaml_parser_t* get() { return &parser_; }

 private:
  yaml_parser_t parser_{};
  bool ok_ = false;
};

// Owns one yaml_event_t; deleting an event that was never filled is safe
// because we zero it first.
class Event : private NonCopyable {
 public:
  Event() = default;
  ~Event() { yaml_event_delete(&event_); }

  yaml_event_t* get() { return &event_; }
  const yaml_event_t& operator*() const { return event_; }

 private:
  yaml_event_t event_{};
};

int line_of(const yaml_mark_t& mark) { return static_cast<int>(mark.line) + 1; }

std::string as_string(const yaml_char_t* s) {
  return s ? std::string(reinterpret_cast<const char*>(s)) : std::string();
}

YamlResult fail(int line, std::string message) {
  YamlResult r;
  r.ok = false;
  r.error_line = line;
  r.error = std::move(message);
  return r;
}

// Builds the message for a libyaml failure. Reader errors (bad encoding,
// control characters) carry a byte offset instead of a mark, so the line is
// counted from the text itself.
YamlResult syntax_error(yaml_parser_t* p, std::string_view text) {
  if (p->error == YAML_MEMORY_ERROR) return fail(1, "out of memory while reading YAML");
  std::string problem = p->problem ? p->problem : "unknown error";
  if (p->error == YAML_READER_ERROR) {
    size_t end = std::min(p->problem_offset, text.size());
    int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + end, '\n'));
    return fail(line, "invalid input: " + problem);
  }
  std::string message = "YAML syntax error: " + problem;
  if (p->context) {
    message += std::string(" ") + p->context;
    if (p->context_mark.line != p->problem_mark.line) {
      message += " that starts at line " + std::to_string(line_of(p->context_mark));
    }
  }
  const int line = line_of(p->problem_mark);
  std::string hint = syntax_error_hint(text, line, problem);
  if (!hint.empty()) message += "; " + hint;
  return fail(line, std::move(message));
}

// nutcracker refuses anchors and tags anywhere; so do we, naming what we saw.
bool check_node_props(const yaml_char_t* anchor, const yaml_char_t* tag, int line,
                      YamlResult* out) {
  if (anchor) {
    *out = fail(line, "anchor '&" + as_string(anchor) + "' is not supported");
    return false;
  }
  if (tag) {
    *out = fail(line, "tag '" + as_string(tag) + "' is not supported");
    return false;
  }
  return true;
}

}  // namespace

YamlResult parse_yaml(std::string_view text) {
  Parser parser;
  if (!parser.ok()) return fail(1, "out of memory while reading YAML");
  yaml_parser_set_input_string(parser.get(), reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());

  YamlResult result;
  std::vector<YamlNode> stack;  // open sequences and mappings
  int documents = 0;
  bool have_root = false;

  auto attach = [&](YamlNode node) {
    if (stack.empty()) {
      result.root = std::move(node);
      have_root = true;
    } else {
      stack.back().children.push_back(std::move(node));
    }
  };

  for (;;) {
    Event event;
    if (!yaml_parser_parse(parser.get(), event.get())) return syntax_error(parser.get(), text);
    const yaml_event_t& ev = *event;
    const int line = line_of(ev.start_mark);

    switch (ev.type) {
      case YAML_NO_EVENT:
      case YAML_STREAM_START_EVENT:
        break;

      case YAML_STREAM_END_EVENT:
        result.ok = true;
        result.empty = !have_root;
        return result;

      case YAML_DOCUMENT_START_EVENT: {
        if (++documents > 1) return fail(line, "only one YAML document is allowed");
        const auto& doc = ev.data.document_start;
        if (doc.version_directive || doc.tag_directives.start != doc.tag_directives.end) {
          return fail(line, "YAML directives ('%YAML', '%TAG') are not supported");
        }
        if (!doc.implicit) return fail(line, "document marker '---' is not supported");
        break;
      }

      case YAML_DOCUMENT_END_EVENT:
        if (!ev.data.document_end.implicit) {
          return fail(line, "document marker '...' is not supported");
        }
        break;

      case YAML_ALIAS_EVENT:
        return fail(line, "alias '*" + as_string(ev.data.alias.anchor) + "' is not supported");

      case YAML_SCALAR_EVENT: {
        const auto& s = ev.data.scalar;
        YamlResult err;
        if (!check_node_props(s.anchor, s.tag, line, &err)) return err;
        YamlNode node;
        node.kind = YamlNode::Kind::scalar;
        node.line = line;
        // A plain scalar ends before the blanks that follow it; a quoted one
        // at its closing quote: either way on its own last line.
        node.end_line = line_of(ev.end_mark);
        node.value.assign(reinterpret_cast<const char*>(s.value), s.length);
        attach(std::move(node));
        break;
      }

      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        const bool is_seq = ev.type == YAML_SEQUENCE_START_EVENT;
        YamlResult err;
        if (is_seq) {
          const auto& s = ev.data.sequence_start;
          if (!check_node_props(s.anchor, s.tag, line, &err)) return err;
          if (s.style == YAML_FLOW_SEQUENCE_STYLE) {
            return fail(line, flow_sequence_message(text, ev.start_mark.index));
          }
        } else {
          const auto& m = ev.data.mapping_start;
          if (!check_node_props(m.anchor, m.tag, line, &err)) return err;
          if (m.style == YAML_FLOW_MAPPING_STYLE) {
            return fail(line,
                        "flow style '{...}' is not supported; write one 'key: value' per line");
          }
        }
        if (stack.size() >= kMaxDepth) return fail(line, "nesting is too deep");
        YamlNode node;
        node.kind = is_seq ? YamlNode::Kind::sequence : YamlNode::Kind::mapping;
        node.line = line;
        stack.push_back(std::move(node));
        break;
      }

      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: {
        // libyaml guarantees balanced events, but never trust and crash.
        if (stack.empty()) return fail(line, "unbalanced YAML structure");
        YamlNode node = std::move(stack.back());
        stack.pop_back();
        attach(std::move(node));
        break;
      }
    }
  }
}

}  // namespace walnut::config
