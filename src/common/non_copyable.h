// NonCopyable: a private base for classes whose objects are places, not
// values: they own a resource (a libevent event, a libyaml parser, pooled
// mbufs) or others hold pointers to them (watchers the loop calls back,
// connections and servers their pool knows). A copy would free or be told
// about the same thing twice. Nor are they movable, for the same reason.
#pragma once

namespace walnut {

class NonCopyable {
 public:
  NonCopyable(const NonCopyable&) = delete;
  NonCopyable& operator=(const NonCopyable&) = delete;

 protected:
  NonCopyable() = default;
  ~NonCopyable() = default;
};

}  // namespace walnut
