// libyaml names the grammar rule that failed ("did not find expected key"),
// not the mistake. Nearly every such mistake in a hand-written config is one
// of three: a tab, a line indented unlike the one above it, or an unquoted
// value that YAML reads as something else. The file's text tells which.
#include "config/yaml_hints.h"

#include <algorithm>
#include <vector>

namespace walnut::config {

namespace {

// The lines of `text`, without their line ends; split once, since a hint
// may look at many of them.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

// Line `n` (1-based); empty past the end.
std::string_view line_at(const std::vector<std::string_view>& lines, int n) {
  return n >= 1 && static_cast<size_t>(n) <= lines.size() ? lines[n - 1] : std::string_view();
}

std::string_view leading_blanks(std::string_view line) {
  return line.substr(0, line.find_first_not_of(" \t"));
}

// The line without its comment and trailing blanks. A '#' starts a comment
// only after a blank (or at the start), as in YAML.
std::string_view content_of(std::string_view line) {
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
      line = line.substr(0, i);
      break;
    }
  }
  size_t end = line.find_last_not_of(" \t");
  return end == std::string_view::npos ? std::string_view() : line.substr(0, end + 1);
}

bool is_content(std::string_view line) {
  return content_of(line).size() > leading_blanks(line).size();
}

// The nearest line above `n` that holds more than blanks and a comment.
int previous_content_line(const std::vector<std::string_view>& lines, int n) {
  for (int i = std::min(n, static_cast<int>(lines.size()) + 1) - 1; i >= 1; --i) {
    if (is_content(line_at(lines, i))) return i;
  }
  return 0;
}

std::string spaces(size_t n) { return std::to_string(n) + (n == 1 ? " space" : " spaces"); }

}  // namespace

std::string syntax_error_hint(std::string_view text, int line, std::string_view problem) {
  const std::vector<std::string_view> lines = split_lines(text);
  const std::string_view here = line_at(lines, line);
  const int above = previous_content_line(lines, line);
  for (int n : {line, above}) {
    if (n > 0 && leading_blanks(line_at(lines, n)).find('\t') != std::string_view::npos) {
      return "line " + std::to_string(n) + " is indented with a tab; YAML indentation must be spaces";
    }
  }
  if (above > 0 && is_content(here)) {
    const std::string_view prev = line_at(lines, above);
    const size_t indent = leading_blanks(here).size();
    const size_t prev_indent = leading_blanks(prev).size();
    // A line ending in ':' opens a block, so the next one may be deeper.
    const bool opens_block = content_of(prev).back() == ':';
    if (indent != prev_indent && !(opens_block && indent > prev_indent)) {
      return "line " + std::to_string(line) + " is indented " + spaces(indent) + " and line " +
             std::to_string(above) + " above it " + spaces(prev_indent) +
             ": the keys of one mapping, and the '- ' items of one list, must start in the "
             "same column";
    }
  }
  if (problem.find("mapping values are not allowed") != std::string_view::npos) {
    return "a value that contains ': ' must be quoted";
  }
  return {};
}

std::string flow_sequence_message(std::string_view text, size_t offset) {
  std::string_view rest = offset < text.size() ? text.substr(offset) : std::string_view();
  rest = content_of(rest.substr(0, rest.find('\n')));
  // "[v6addr]:port..." as a whole value: a bracketed address, not a list.
  const size_t close = rest.find(']');
  const bool bracketed_address = close != std::string_view::npos && rest.size() > close + 2 &&
                                 rest[close + 1] == ':' && rest[close + 2] >= '0' &&
                                 rest[close + 2] <= '9' && rest.find_first_of(" \t,") > close;
  if (bracketed_address) {
    return "an IPv6 address must be quoted: write \"" + std::string(rest) +
           "\" (unquoted, YAML reads '[' as the start of a list)";
  }
  return "flow style '[...]' is not supported; write one '- item' per line";
}

std::string continued_value_hint(int first, int last) {
  return "YAML joined lines " + std::to_string(first) + " to " + std::to_string(last) +
         " into this one value because line " + std::to_string(first + 1) +
         " is indented deeper than line " + std::to_string(first) +
         ": start every '- ' item of a list, and every key of a mapping, in the same column";
}

}  // namespace walnut::config
