// Parsers for the scalar values of config keys: integers, booleans and the
// names of hashes and distributions. Pure string functions, no YAML, so that
// every rule can be tested on its own.
//
// The rules follow nutcracker 0.5.0 except where nutcracker is sloppy (it lets
// integers silently overflow); see config.cc for the messages.
#pragma once

#include <string>
#include <string_view>

namespace walnut::config {

enum class IntParse { ok, not_a_number, too_large };

// Decimal digits only (leading zeros allowed, no sign, no spaces), at most
// INT_MAX: nutcracker accepts exactly the digit strings, and a value past
// INT_MAX would wrap there.
IntParse parse_non_negative_int(std::string_view text, int* out);

// Exactly "true" or "false", as nutcracker: YAML's yes/no/True are refused so
// that a file means the same thing to both proxies.
bool parse_bool(std::string_view text, bool* out);

// The twelve hash names of nutcracker 0.5.0.
bool is_hash_name(std::string_view name);
// nutcracker's ketama, modula and random, plus walnut's server_name.
bool is_distribution_name(std::string_view name);

// "a, b, c" lists for error messages.
std::string hash_names_text();
std::string distribution_names_text();

}  // namespace walnut::config
