// Text from the configuration (pool and server names) between the double
// quotes of the two formats the stats are written in. Both escape '"' and
// '\' with a backslash; they differ in the control characters.
#pragma once

#include <string>
#include <string_view>

namespace walnut::stats {

enum class Quoting {
  kJson,        // a JSON string allows no control character: each as \u00XX
  kPrometheus,  // a label value: a newline as \n, other bytes as they are
};

std::string escaped(std::string_view s, Quoting quoting);

}  // namespace walnut::stats
