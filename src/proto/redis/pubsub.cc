// Redis pub/sub as the proxy needs it: the subscription commands it sends
// to servers, the confirmations it gives clients, and telling a published
// message from an answer.
#include <algorithm>
#include <string>

#include "proto/command.h"
#include "proto/redis/local_reply.h"
#include "proto/redis/redis_protocol.h"

namespace walnut::redis {

using proto::Msg;
using proto::SubscriptionStep;
using Family = SubscriptionStep::Family;

namespace {

// The command's name (lower case), as Redis names it in confirmations.
std::string_view step_name(SubscriptionStep step) {
  switch (step.family) {
    case Family::kPattern: return step.subscribe ? "psubscribe" : "punsubscribe";
    case Family::kShard: return step.subscribe ? "ssubscribe" : "sunsubscribe";
    case Family::kChannel: break;
  }
  return step.subscribe ? "subscribe" : "unsubscribe";
}

}  // namespace

SubscriptionStep RedisProtocol::subscription_step(const Msg& msg) const {
  std::string_view name = msg.command->name;
  SubscriptionStep step;
  step.subscribe = name.find("unsub") == std::string_view::npos;
  if (name.starts_with("p")) step.family = Family::kPattern;
  if (name == "ssubscribe" || name == "sunsubscribe") step.family = Family::kShard;
  return step;
}

void RedisProtocol::subscription_request(SubscriptionStep step,
                                         const std::vector<std::string>& names,
                                         Msg& part) const {
  std::string out = "*" + std::to_string(names.size() + 1) + "\r\n";
  const std::string name = ascii_case(step_name(step), true);
  out += "$" + std::to_string(name.size()) + "\r\n" + name + "\r\n";
  for (const std::string& n : names) out += "$" + std::to_string(n.size()) + "\r\n" + n + "\r\n";
  part.request.append_copy(mbufs(), out);
}

void RedisProtocol::subscription_reply(Msg& msg, SubscriptionStep step, const std::string* name,
                                       uint64_t count) const {
  Resp resp;
  resp.array(3).bulk(step_name(step));
  if (name != nullptr) {
    resp.bulk(*name);
  } else {
    resp.null_bulk();
  }
  resp.integer(static_cast<long long>(count));
  resp.append_to(msg, mbufs());
}

namespace {

// "*3 message", "*4 pmessage", "*3 smessage": the first bytes tell, and
// the family of the subscription the message came by.
struct PushKind {
  std::string_view head;
  Family family;
};
constexpr PushKind kPushKinds[] = {{"*3\r\n$7\r\nmessage\r\n", Family::kChannel},
                                   {"*4\r\n$8\r\npmessage\r\n", Family::kPattern},
                                   {"*3\r\n$8\r\nsmessage\r\n", Family::kShard}};

const PushKind* push_kind(const buffer::MbufChain& reply) {
  char head[19];
  const uint64_t n = std::min<uint64_t>(reply.size(), sizeof head);
  reply.copy_out(0, n, head);
  const std::string_view got(head, static_cast<size_t>(n));
  for (const PushKind& kind : kPushKinds) {
    if (got.starts_with(kind.head)) return &kind;
  }
  return nullptr;
}

}  // namespace

bool RedisProtocol::is_push_message(const buffer::MbufChain& reply) const {
  return push_kind(reply) != nullptr;
}

bool RedisProtocol::push_subject(const buffer::MbufChain& message, Family* family,
                                 std::string* name) const {
  const PushKind* kind = push_kind(message);
  if (kind == nullptr) return false;
  // The kind's head, then the name's bulk string: "$<length>\r\n<name>\r\n".
  const uint64_t at = kind->head.size();
  char line[24];
  const uint64_t n = std::min<uint64_t>(message.size() - at, sizeof line);
  message.copy_out(at, n, line);
  if (n < 4 || line[0] != '$') return false;
  uint64_t length = 0;
  uint64_t i = 1;
  for (; i < n && line[i] >= '0' && line[i] <= '9'; ++i) length = length * 10 + (line[i] - '0');
  if (i + 1 >= n || line[i] != '\r' || line[i + 1] != '\n') return false;
  const uint64_t start = at + i + 2;
  if (length > message.size() - start) return false;
  std::string scratch;
  *name = std::string(message.view(start, length, scratch));
  *family = kind->family;
  return true;
}

}  // namespace walnut::redis
