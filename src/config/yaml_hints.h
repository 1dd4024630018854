// What a person needs to fix a YAML mistake, beyond libyaml's own words: a
// tab in the indentation, a line indented unlike its neighbours, an IPv6
// address read as a list. Pure functions of the file's text, so that each
// hint is tested on the exact lines that provoke it.
#pragma once

#include <string>
#include <string_view>

namespace walnut::config {

// The hint to append to a libyaml syntax error reported at `line` (1-based),
// e.g. "line 3 is indented with a tab; YAML indentation must be spaces".
// Empty when the text shows nothing more specific to say.
std::string syntax_error_hint(std::string_view text, int line, std::string_view problem);

// The whole message for a flow sequence ('[' unquoted) that starts at byte
// `offset` of `text`: an IPv6 address in brackets gets the quoted form to
// write instead.
std::string flow_sequence_message(std::string_view text, size_t offset);

// The hint for a scalar that YAML joined from lines `first` to `last`
// because a later line was indented deeper than the first.
std::string continued_value_hint(int first, int last);

}  // namespace walnut::config
