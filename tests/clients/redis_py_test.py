"""redis-py (Debian's python3-redis, 4.3.x) against walnut, started by run_all.

redis-py 4.3 opens each connection with AUTH (password=), CLIENT SETNAME
(client_name=) and SELECT (db=), in that order, and no HELLO: each of those
is answered by walnut itself, so a wrong answer shows up as a failed
connect, which is what an application would meet.

Prints "PASS name" or "FAIL name: why" per case; exits 1 when any failed.
"""
import os
import sys
import traceback

import redis

PORT = int(os.environ["WALNUT_PORT"])
DB_PORT = int(os.environ["WALNUT_DB_PORT"])
DB = int(os.environ["WALNUT_DB"])
AUTH_PORT = int(os.environ["WALNUT_AUTH_PORT"])
PASSWORD = os.environ["WALNUT_AUTH_PASSWORD"]
REDIS_PORTS = [int(p) for p in os.environ["REDIS_PORTS"].split()]
TLS_PORT = int(os.environ["WALNUT_TLS_PORT"])
TLS_CA = os.environ["TLS_CA_FILE"]
REDIS_TLS_SERVER_PORT = int(os.environ["REDIS_TLS_SERVER_PORT"])

# Every call bounded: a walnut that does not answer fails the case, not the
# whole run by run_all's timeout.
TIMEOUTS = dict(socket_timeout=5, socket_connect_timeout=5)


def walnut(port=PORT, **kwargs):
    return redis.Redis(host="127.0.0.1", port=port, **TIMEOUTS, **kwargs)


def backend(port, **kwargs):
    """A redis-server of the pools, directly: where walnut put the keys."""
    return redis.Redis(host="127.0.0.1", port=port, **TIMEOUTS, **kwargs)


def raises(exc_type, fn):
    """The exception fn raised, which must be an exc_type."""
    try:
        result = fn()
    except exc_type as e:
        return e
    raise AssertionError(f"no {exc_type.__name__}; returned {result!r}")


def test_client_name():
    r = walnut(client_name="walnut-test")
    assert r.ping() is True, "PING"
    got = r.client_getname()  # decoded by redis-py itself
    assert got == "walnut-test", f"CLIENT GETNAME after connect: {got!r}"


def test_client_id():
    a, b = walnut(), walnut()
    ida, idb = a.client_id(), b.client_id()
    assert isinstance(ida, int) and isinstance(idb, int), f"ids {ida!r} {idb!r}"
    assert ida != idb, f"two connections, one id {ida}"
    assert a.client_id() == ida, "the id of a connection changed"


def test_client_info():
    r = walnut(client_name="walnut-test")
    # redis-py 4.3's parser turns qbuf, qbuf-free, obl, argv-mem, oll, omem
    # and tot-mem into ints unconditionally: walnut's line must carry them.
    info = r.client_info()
    assert info.get("name") == "walnut-test", f"client_info(): {info!r}"
    assert info.get("laddr") == f"127.0.0.1:{PORT}", f"client_info(): {info!r}"
    assert info.get("tot-mem") == 0, f"client_info(): {info!r}"
    # The line itself, unparsed: the fields a client reads about itself.
    line = r.execute_command("CLIENT", "INFO").decode()
    fields = dict(pair.split("=", 1) for pair in line.split())
    assert fields.get("name") == "walnut-test", f"name in {line!r}"
    assert fields.get("laddr") == f"127.0.0.1:{PORT}", f"laddr in {line!r}"
    assert int(fields["id"]) == r.client_id(), f"id in {line!r}"


def test_client_list():
    r = walnut(client_name="walnut-test")
    clients = r.client_list()
    # Only the calling connection: walnut does not tell one client about
    # the others.
    assert len(clients) == 1, f"client_list(): {clients!r}"
    c = clients[0]
    assert c.get("name") == "walnut-test", f"name: {c!r}"
    assert c.get("laddr") == f"127.0.0.1:{PORT}", f"laddr: {c!r}"
    assert int(c["id"]) == r.client_id(), f"id: {c!r}"


def test_db_pool():
    r = walnut(DB_PORT, db=DB)
    assert r.set("py:db", "in-db") is True, "SET"
    assert r.get("py:db") == b"in-db", "GET"
    # Where it landed: the pool's db on its server, not db 0.
    assert backend(REDIS_PORTS[0], db=DB).get("py:db") == b"in-db", f"not in db {DB}"
    assert backend(REDIS_PORTS[0]).get("py:db") is None, "landed in db 0"


def test_db_refused():
    # redis-py sends SELECT on connect: the first command fails with
    # walnut's reason, which names the setting that would serve this db.
    r = walnut(db=DB)
    e = raises(redis.ResponseError, r.ping)
    want = f"SELECT {DB} refused: this walnut pool serves db 0 only; a pool with 'redis_db: {DB}' serves db {DB}"
    assert str(e) == want, f"error {str(e)!r}, want {want!r}"


def test_password():
    r = walnut(AUTH_PORT, password=PASSWORD)
    assert r.set("py:auth", "yes") is True, "SET with the password"
    assert r.get("py:auth") == b"yes", "GET with the password"
    assert backend(int(os.environ["REDIS_AUTH_PORT"]), password=PASSWORD).get("py:auth") == b"yes"


def test_wrong_password():
    e = raises(redis.AuthenticationError, walnut(AUTH_PORT, password="not-" + PASSWORD).ping)
    assert "invalid password" in str(e), f"wrong password: {e!r}"
    e = raises(redis.AuthenticationError, lambda: walnut(AUTH_PORT).get("py:auth"))
    assert "Authentication required" in str(e), f"no password: {e!r}"


def test_keys_over_two_servers():
    r = walnut()
    assert r.set("py:one", "1") is True and r.get("py:one") == b"1", "SET/GET"
    keys = {f"py:spread:{i}": str(i) for i in range(40)}
    assert r.mset(keys) is True, "MSET"
    got = r.mget(list(keys))
    assert got == [v.encode() for v in keys.values()], f"MGET: {got!r}"
    # Both servers hold some: MSET/MGET really went over two servers.
    per_server = [sum(backend(p).exists(k) for k in keys) for p in REDIS_PORTS]
    assert sum(per_server) == len(keys) and min(per_server) > 0, f"keys per server {per_server}"
    assert r.delete(*keys) == len(keys), "DEL of all"
    assert r.mget(list(keys)) == [None] * len(keys), "keys left after DEL"


def test_keyspace_over_two_servers():
    # The pool answers as one keyspace: DBSIZE, KEYS and RANDOMKEY go to both
    # servers, SCAN walks one then the other with one cursor.
    r = walnut()
    keys = {f"py:ks:{i}": "v" for i in range(150)}
    assert r.mset(keys) is True, "MSET"
    found = {k.decode() for k in r.scan_iter(match="py:ks:*", count=10)}
    assert found == set(keys), f"scan_iter(): {len(found)} of {len(keys)} keys"
    assert {k.decode() for k in r.keys("py:ks:*")} == set(keys), "KEYS"
    assert r.dbsize() == sum(backend(p).dbsize() for p in REDIS_PORTS), "DBSIZE"
    assert r.randomkey() is not None, "RANDOMKEY"
    info = r.info()
    assert info["redis_version"] and info["connected_clients"] >= 1, f"INFO: {info!r}"
    assert r.delete(*keys) == len(keys), "DEL of all"


def test_pipeline():
    r = walnut()
    p = r.pipeline(transaction=False)
    want = []
    for i in range(50):
        p.set(f"py:pipe:{i}", f"v{i}")
        p.get(f"py:pipe:{i}")
        want += [True, f"v{i}".encode()]
    got = p.execute()
    assert len(got) == 100, f"{len(got)} results for 100 commands"
    bad = [(i, g, w) for i, (g, w) in enumerate(zip(got, want)) if g != w]
    assert not bad, f"results out of order or wrong, first: {bad[:3]}"


def keys_on_two_servers(prefix):
    """A key on each of the plain pool's two servers (written, then found)."""
    r = walnut()
    first, second = backend(REDIS_PORTS[0]), backend(REDIS_PORTS[1])
    on = {}
    for i in range(64):
        key = f"{prefix}:{i}"
        r.set(key, "0")
        where = 0 if first.exists(key) else 1 if second.exists(key) else None
        on.setdefault(where, key)
        if 0 in on and 1 in on:
            return on[0], on[1]
    raise AssertionError(f"64 keys did not reach both servers: {on}")


def test_transaction():
    # redis-py's default pipeline is a transaction: MULTI, the commands,
    # EXEC, in one write; its results come from EXEC's array.
    r = walnut()
    r.set("py:tx:n", "10")
    p = r.pipeline()
    p.incr("py:tx:n").incr("py:tx:n").get("py:tx:n").ping()
    got = p.execute()
    assert got == [11, 12, b"12", True], f"pipeline(): {got!r}"
    # Plain MULTI / EXEC, one call at a time.
    # (GET, which redis-py leaves as the server said it: QUEUED.)
    assert r.execute_command("MULTI") == b"OK"
    assert r.execute_command("GET", "py:tx:n") == b"QUEUED"
    assert r.execute_command("EXEC") == [b"12"]


def test_transaction_across_servers_fails_whole():
    # Keys on two servers cannot share one transaction: the second key gets
    # an error at queue time, EXEC fails, nothing was applied.
    a, b = keys_on_two_servers("py:tx:two")
    r = walnut()
    p = r.pipeline()
    p.set(a, "changed").set(b, "changed")
    e = raises(redis.ResponseError, p.execute)
    assert "EXECABORT" in str(e) or "one server" in str(e), f"across servers: {e!r}"
    assert r.get(a) == b"0" and r.get(b) == b"0", "a failed transaction applied something"
    assert r.ping() is True, "the connection goes on"


def test_watch():
    # WATCH, then another client changes the key: EXEC fails, redis-py
    # raises WatchError, the write is not applied; untouched, it applies.
    r, other = walnut(), walnut()
    r.set("py:watch", "1")
    with r.pipeline() as p:
        p.watch("py:watch")
        other.set("py:watch", "other")
        p.multi()
        p.set("py:watch", "mine")
        raises(redis.WatchError, p.execute)
    assert r.get("py:watch") == b"other"

    def add_one(pipe):
        value = int(pipe.get("py:watch:n") or 0)
        pipe.multi()
        pipe.set("py:watch:n", value + 1)

    for _ in range(3):
        r.transaction(add_one, "py:watch:n")
    assert r.get("py:watch:n") == b"3"


def test_blpop():
    # A blocking command blocks its own client only, and the pool's timeout
    # (2 s for this pool) does not cut a longer block of the client's own.
    import threading
    import time

    r = walnut()
    r.delete("py:queue")
    started = time.monotonic()
    assert r.blpop(["py:queue"], timeout=3) is None, "an empty list after its own timeout"
    waited = time.monotonic() - started
    assert waited >= 2.9, f"BLPOP 3 came back after {waited:.2f} s"
    got = {}
    waiter = threading.Thread(target=lambda: got.update(v=walnut().blpop(["py:queue"], timeout=10)))
    waiter.start()
    time.sleep(0.3)
    r.set("py:queue:other", "served")  # the same server or not: not held up
    assert r.get("py:queue:other") == b"served"
    r.rpush("py:queue", "job")
    waiter.join(10)
    assert not waiter.is_alive(), "BLPOP did not return after RPUSH"
    assert got.get("v") == (b"py:queue", b"job"), f"BLPOP: {got!r}"


def test_pubsub_thread():
    # redis-py's pubsub with its worker thread: channels on both servers and
    # a pattern, each message handled once, in publish order per channel.
    import threading
    import time

    first, second = keys_on_two_servers("py:chan")
    got = []
    done = threading.Event()

    def handler(message):
        got.append((message["channel"], message["data"]))
        if len(got) == 4:
            done.set()

    p = walnut().pubsub()
    p.subscribe(**{first: handler, second: handler})
    p.psubscribe(**{"py:news:*": handler})
    worker = p.run_in_thread(sleep_time=0.05, daemon=True)
    try:
        publisher = walnut()
        deadline = time.monotonic() + 5
        # Subscribed once every server confirmed: then a publish is received.
        while publisher.pubsub_numsub(first, second) != [(first.encode(), 1), (second.encode(), 1)]:
            assert time.monotonic() < deadline, "the subscriptions never showed in NUMSUB"
            time.sleep(0.05)
        assert publisher.publish(first, "a") == 1
        assert publisher.publish(second, "b") == 1
        assert publisher.publish("py:news:x", "c") == 1
        assert publisher.publish(first, "d") == 1
        assert done.wait(5), f"4 messages expected, got {got!r}"
        assert sorted(got) == sorted([(first.encode(), b"a"), (second.encode(), b"b"),
                                      (b"py:news:x", b"c"), (first.encode(), b"d")]), got
        assert [d for c, d in got if c == first.encode()] == [b"a", b"d"], "order on one channel"
    finally:
        worker.stop()
        worker.join(5)
        p.close()


def test_tls_both_sides():
    # TLS to walnut, which speaks TLS to its server: what redis-py sends
    # arrives, and a pipeline comes back whole.
    r = walnut(TLS_PORT, ssl=True, ssl_ca_certs=TLS_CA)
    assert r.set("py:tls", "yes") is True
    assert r.get("py:tls") == b"yes"
    p = r.pipeline(transaction=False)
    for i in range(200):
        p.set(f"py:tls:{i}", "x" * (i * 100))
        p.get(f"py:tls:{i}")
    replies = p.execute()
    assert replies[1::2] == [b"x" * (i * 100) for i in range(200)], "pipelined GETs"
    assert backend(REDIS_TLS_SERVER_PORT).get("py:tls") == b"yes", "on the TLS server"


def test_tls_port_refuses_plain_text():
    r = walnut(TLS_PORT)
    raises(redis.exceptions.ConnectionError, lambda: r.ping())


def main():
    tests = [(name, fn) for name, fn in globals().items() if name.startswith("test_") and callable(fn)]
    failed = 0
    for name, fn in tests:
        name = name[len("test_"):]
        try:
            fn()
        except AssertionError as e:
            failed += 1
            print(f"FAIL {name}: {e}", flush=True)
        except Exception as e:  # a client error the case did not expect
            failed += 1
            print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)
            traceback.print_exc(file=sys.stdout)
        else:
            print(f"PASS {name}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
