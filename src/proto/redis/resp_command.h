// A command walnut sends itself, written as Redis reads it: an array of
// bulk strings.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace walnut::redis {

inline std::string resp_command(std::initializer_list<std::string_view> args) {
  std::string s = "*" + std::to_string(args.size()) + "\r\n";
  for (std::string_view a : args) {
    s += "$" + std::to_string(a.size()) + "\r\n";
    s += a;
    s += "\r\n";
  }
  return s;
}

}  // namespace walnut::redis
