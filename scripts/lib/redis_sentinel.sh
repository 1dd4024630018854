# Sourced by scripts that need masters watched by Redis Sentinel on
# 127.0.0.1 (soak): sentinel_start starts one master and one replica per
# shard (no persistence) and three Sentinels (redis-server --sentinel) that
# watch every master, named PREFIX-0, PREFIX-1, ..., and waits until every
# replica is linked and every Sentinel sees it; sentinel_failover SHARD runs
# SENTINEL FAILOVER and waits until it is over; sentinel_stop stops
# everything by pid. The pids are in sentinel_pids.
#
#   sentinel_start DIR PREFIX "MASTER_PORT..." "REPLICA_PORT..." "SENTINEL_PORT..."
#   sentinel_master SHARD        the shard's master's port, as Sentinel says
#   sentinel_failover SHARD      0, or 1 with the reason on stderr
#   sentinel_stop
sentinel_pids=()
sentinel_prefix=
sentinel_data_ports=()
sentinel_ports=()
sentinel_shards=0

sentinel_start() {
  local dir=$1 masters=($3) replicas=($4) port i
  sentinel_prefix=$2
  sentinel_ports=($5)
  sentinel_shards=${#masters[@]}
  sentinel_data_ports=("${masters[@]}" "${replicas[@]}")
  for port in "${masters[@]}"; do _sentinel_redis "$dir" "$port"; done
  for i in "${!replicas[@]}"; do _sentinel_redis "$dir" "${replicas[$i]}" --replicaof 127.0.0.1 "${masters[$i]}"; done
  for port in "${sentinel_ports[@]}"; do
    mkdir -p "$dir/sentinel-$port"
    {
      echo "port $port"
      echo "bind 127.0.0.1"
      echo "dir $dir/sentinel-$port"
      echo "sentinel resolve-hostnames no"
      for i in "${!masters[@]}"; do
        echo "sentinel monitor $sentinel_prefix-$i 127.0.0.1 ${masters[$i]} 2"
        echo "sentinel down-after-milliseconds $sentinel_prefix-$i 2000"
        echo "sentinel failover-timeout $sentinel_prefix-$i 3000"
        echo "sentinel parallel-syncs $sentinel_prefix-$i 1"
      done
    } >"$dir/sentinel-$port/sentinel.conf"
    redis-server "$dir/sentinel-$port/sentinel.conf" --sentinel >"$dir/sentinel-$port/log" 2>&1 &
    sentinel_pids+=($!)
  done
  # Sentinel reads INFO every 10 s by default and makes an old master a
  # replica only after it claimed the master role for 8 s (four publish
  # periods), so a failover settles 10 to 20 s after it is over; tuned at
  # run time (Redis 7's SENTINEL DEBUG) to settle in seconds, and no 30 s
  # TILT for a loop late by 2 s.
  for port in "${sentinel_ports[@]}"; do
    for i in $(seq 100); do
      [ "$(redis-cli -p "$port" sentinel debug info-period 1000 publish-period 500 tilt-trigger 10000 \
        tilt-period 5000 2>/dev/null)" = OK ] && break
      sleep 0.05
    done
  done
  for i in $(seq 0 $((sentinel_shards - 1))); do
    _sentinel_settled "$i" 60 || return 1
  done
}

_sentinel_redis() {  # DIR PORT [ARGS...]
  local dir=$1 port=$2 i
  shift 2
  mkdir -p "$dir/redis-$port"
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$dir/redis-$port" "$@" >"$dir/redis-$port/log" 2>&1 &
  sentinel_pids+=($!)
  for i in $(seq 100); do
    [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && return 0
    sleep 0.05
  done
}

sentinel_master() {
  local port
  for port in "${sentinel_ports[@]}"; do
    timeout 5 redis-cli -p "$port" sentinel get-master-addr-by-name "$sentinel_prefix-$1" 2>/dev/null \
      | sed -n 2p | grep . && return 0
  done
  return 1
}

# _sentinel_settled SHARD SECONDS: every Sentinel names one master for the
# shard, it says role:master, its replica is linked to it, and every
# Sentinel sees that replica up with its link ok.
_sentinel_settled() {
  local deadline=$((SECONDS + $2)) master port other ok
  while [ $SECONDS -lt $deadline ]; do
    ok=1
    master=$(sentinel_master "$1") || ok=0
    if [ $ok = 1 ]; then
      for port in "${sentinel_ports[@]}"; do
        [ "$(timeout 5 redis-cli -p "$port" sentinel get-master-addr-by-name "$sentinel_prefix-$1" 2>/dev/null \
          | sed -n 2p)" = "$master" ] || { ok=0; break; }
        timeout 5 redis-cli -p "$port" sentinel replicas "$sentinel_prefix-$1" 2>/dev/null \
          | awk '/^flags$/ { getline; f = $0 } /^master-link-status$/ { getline; if ($0 == "ok" && f !~ /down|disconnected/) n++ }
                 END { exit !(n >= 1) }' || { ok=0; break; }
      done
    fi
    if [ $ok = 1 ]; then
      timeout 5 redis-cli -p "$master" info replication 2>/dev/null | grep -q '^role:master' || ok=0
      for other in "${sentinel_data_ports[@]}"; do
        [ "$other" != "$master" ] || continue
        if timeout 5 redis-cli -p "$other" info replication 2>/dev/null | grep -q "^master_port:$master"; then
          timeout 5 redis-cli -p "$other" info replication 2>/dev/null | grep -q '^master_link_status:up' || ok=0
        fi
      done
    fi
    [ $ok = 1 ] && return 0
    sleep 0.2
  done
  echo "shard $1 ($sentinel_prefix-$1) did not settle within $2 s" >&2
  return 1
}

sentinel_failover() {
  local old new i out
  old=$(sentinel_master "$1") || { echo "no Sentinel names a master for shard $1" >&2; return 1; }
  for i in $(seq 100); do
    out=$(timeout 5 redis-cli -p "${sentinel_ports[$((i % ${#sentinel_ports[@]}))]}" \
      sentinel failover "$sentinel_prefix-$1" 2>&1 || true)
    [ "$out" = OK ] && break
    sleep 0.2  # -INPROG or -NOGOODSLAVE: not ready yet
  done
  [ "$out" = OK ] || { echo "SENTINEL FAILOVER $sentinel_prefix-$1 answered: $out" >&2; return 1; }
  for i in $(seq 300); do
    new=$(sentinel_master "$1") && [ "$new" != "$old" ] && break
    sleep 0.1
  done
  [ "$new" != "$old" ] || { echo "shard $1 still on $old 30 s after SENTINEL FAILOVER" >&2; return 1; }
  _sentinel_settled "$1" 30
}

sentinel_stop() {
  local pid
  for pid in "${sentinel_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${sentinel_pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  sentinel_pids=()
}
