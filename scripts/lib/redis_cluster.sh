# Sourced by scripts that need a real Redis Cluster on 127.0.0.1 (bench,
# soak): cluster_start starts one redis-server per port with cluster mode on
# (no persistence), joins them with redis-cli --cluster create and waits until
# the cluster is whole; cluster_stop stops them by pid. The pids are in
# cluster_pids, the ports in cluster_ports.
#
#   cluster_start DIR REPLICAS NODE_TIMEOUT_MS PORT...
#   cluster_stop
# cluster_start returns 1 (with the reason on stderr) when the cluster is not
# whole within 60 s.
cluster_pids=()
cluster_ports=()

cluster_start() {
  local dir=$1 replicas=$2 node_timeout=$3
  shift 3
  local port
  for port in "$@"; do
    mkdir -p "$dir/node-$port"
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
      --cluster-enabled yes --cluster-config-file "$dir/node-$port/nodes.conf" \
      --cluster-node-timeout "$node_timeout" --dir "$dir/node-$port" \
      >"$dir/node-$port/log" 2>&1 &
    cluster_pids+=($!)
    cluster_ports+=("$port")
  done
  local addresses=() i
  for port in "$@"; do
    for i in $(seq 100); do
      [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && break
      sleep 0.05
    done
    addresses+=("127.0.0.1:$port")
  done
  if ! redis-cli --cluster create "${addresses[@]}" --cluster-replicas "$replicas" \
      --cluster-yes >"$dir/cluster-create.log" 2>&1; then
    echo "redis-cli --cluster create failed: $(tail -3 "$dir/cluster-create.log")" >&2
    return 1
  fi
  cluster_wait_whole 60
}

# cluster_wait_whole SECONDS: every node says cluster_state:ok, and every
# replica's link to its master is up.
cluster_wait_whole() {
  local deadline=$((SECONDS + $1)) port whole
  while [ $SECONDS -lt $deadline ]; do
    whole=1
    for port in "${cluster_ports[@]}"; do
      if ! redis-cli -p "$port" cluster info 2>/dev/null | grep -q '^cluster_state:ok'; then
        whole=0; break
      fi
      if redis-cli -p "$port" info replication 2>/dev/null | grep -q '^role:slave' &&
         ! redis-cli -p "$port" info replication 2>/dev/null | grep -q '^master_link_status:up'; then
        whole=0; break
      fi
    done
    [ $whole = 1 ] && return 0
    sleep 0.1
  done
  echo "the cluster on ports ${cluster_ports[*]} was not whole within $1 s" >&2
  return 1
}

cluster_stop() {
  local pid
  for pid in "${cluster_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${cluster_pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  cluster_pids=()
  cluster_ports=()
}
