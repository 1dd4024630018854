# scripts/bench's --tls mode: what TLS costs on each side of walnut. Sourced
# by scripts/bench, whose variables and functions (tmp, cases, rounds,
# quick, instr, drive, measure, median, ratio, die, start_proxy, stop) it
# uses.

# tls_make_certs DIR: a CA, and a certificate for 127.0.0.1 signed by it.
tls_make_certs() {
  local d=$1
  mkdir -p "$d"
  {
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.crt" -days 2 \
      -subj /CN=walnut-bench-ca
    openssl req -newkey rsa:2048 -nodes -keyout "$d/server.key" -out "$d/server.csr" \
      -subj /CN=127.0.0.1
    echo "subjectAltName=IP:127.0.0.1,DNS:localhost" >"$d/server.ext"
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
      -out "$d/server.crt" -days 2 -extfile "$d/server.ext"
  } >"$d/openssl.log" 2>&1 || die "openssl could not make the certificates: $(tail -3 "$d/openssl.log")"
}

# tls_pools: walnut's TLS pools (YAML), over the redis-servers' TLS ports or
# their plain ones, placed like bench_redis.
tls_pools() {
  local side listen tls_keys servers
  for side in client server both; do
    case $side in
      client) listen=$w_tls_client ;; server) listen=$w_tls_server ;; both) listen=$w_tls_both ;;
    esac
    tls_keys="" servers="$redis1 $redis2"
    if [ $side != server ]; then
      tls_keys+="  tls_cert_file: $tmp/tls/server.crt"$'\n'"  tls_key_file: $tmp/tls/server.key"$'\n'
    fi
    if [ $side != client ]; then
      tls_keys+="  server_tls: true"$'\n'"  server_tls_ca_cert_file: $tmp/tls/ca.crt"$'\n'
      servers="$tls_redis1 $tls_redis2"
    fi
    printf 'bench_tls_%s:\n  listen: 127.0.0.1:%s\n  hash: fnv1a_64\n  distribution: ketama\n  redis: true\n%s  servers:\n' \
      "$side" "$listen" "$tls_keys"
    for p in $servers; do echo "    - 127.0.0.1:$p:1"; done
  done
}

# tls_client_args TARGET: redis-benchmark's TLS options for a target that
# speaks TLS to its clients, else nothing.
tls_client_args() {
  case $1 in
    tls_client | tls_both | direct_tls) echo "--tls --cacert $tmp/tls/ca.crt" ;;
  esac
}

tls_targets=(walnut tls_client tls_server tls_both)
tls_label() {
  case $1 in
    walnut) echo "plain" ;; tls_client) echo "client TLS" ;;
    tls_server) echo "server TLS" ;; tls_both) echo "both TLS" ;;
    direct) echo "direct" ;; direct_tls) echo "direct TLS" ;;
  esac
}

# tls_perf OPS...: requests/s of each op straight to a redis-server (plain,
# TLS) and through each of walnut's pools, medians of the rounds.
tls_perf() {
  local c t r n
  mkdir -p "$tmp/tls/res"
  start_proxy walnut
  for c; do
    case $c in *_p16) n=$([ $quick = 1 ] && echo 80000 || echo 600000) ;;
               *) n=$([ $quick = 1 ] && echo 20000 || echo 200000) ;; esac
    local t0=$SECONDS
    for ((r = 1; r <= rounds; r++)); do
      for t in direct direct_tls "${tls_targets[@]}"; do
        drive "$c" "$t" "$n" "$tmp/tls/res/$c.$t.$r"
      done
    done
    echo "  $(case_label "$c"): $n requests per run, $((SECONDS - t0)) s"
  done
  stop "$proxy_pid"
  echo
  printf "%-8s" case
  for t in direct direct_tls "${tls_targets[@]}"; do printf " %11s" "$(tls_label "$t")"; done
  printf " %8s %8s %8s %10s\n" client/pl server/pl both/pl both/dTLS
  local v=() i
  for c; do
    v=()
    for t in direct direct_tls "${tls_targets[@]}"; do v+=("$(median "$tmp/tls/res/$c.$t."* 1)"); done
    printf "%-8s" "$(case_label "$c")"
    for i in "${v[@]}"; do printf " %11.0f" "$i"; done
    printf " %8s %8s %8s %10s\n" "$(ratio "${v[3]}" "${v[2]}")" "$(ratio "${v[4]}" "${v[2]}")" \
      "$(ratio "${v[5]}" "${v[2]}")" "$(ratio "${v[5]}" "${v[1]}")"
  done
  echo
  echo "requests/s, medians of $rounds rounds, $clients clients, values of $vsize bytes. plain: walnut's"
  echo "plain pool; client TLS: TLS from the clients; server TLS: TLS to the redis-servers; both:"
  echo "both. x/pl: over the plain pool; both/dTLS: both TLS over redis-benchmark --tls direct."
}

# tls_instr OPS...: walnut's instructions per request in each pool
# (differential, as --instr), and what TLS adds to the plain pool's.
tls_instr() {
  local c t n1 n2 a b
  if [ $quick = 1 ]; then n1=1000 n2=5000; else n1=5000 n2=25000; fi
  mkdir -p "$tmp/tls/instr"
  for c; do
    for t in "${tls_targets[@]}"; do
      measure callgrind "$t" "$c" "$n1"
      a=$total
      measure callgrind "$t" "$c" "$n2"
      b=$total
      awk -v a="$a" -v b="$b" -v n1="$n1" -v n2="$n2" 'BEGIN { printf "%.0f\n", (b - a) / (n2 - n1) }' \
        >"$tmp/tls/instr/$c.$t"
    done
  done
  printf "%-8s" case
  for t in "${tls_targets[@]}"; do printf " %11s" "$(tls_label "$t")"; done
  printf " %12s %12s %12s\n" "+client" "+server" "+both"
  local plain v
  for c; do
    plain=$(cat "$tmp/tls/instr/$c.walnut")
    printf "%-8s" "$(case_label "$c")"
    for t in "${tls_targets[@]}"; do printf " %11s" "$(cat "$tmp/tls/instr/$c.$t")"; done
    for t in tls_client tls_server tls_both; do
      v=$(cat "$tmp/tls/instr/$c.$t")
      printf " %12s" "$((v - plain))"
    done
    echo
  done
  echo
  echo "walnut's instructions per request (callgrind, N2 minus N1 = $((n2 - n1)) requests, $clients clients,"
  echo "values of $vsize bytes); +x: over the plain pool. The handshakes cancel out (each run makes"
  echo "the same connections)."
}

tls_mode() {
  local ops=() c
  for c in "${cases[@]}"; do
    case $c in get_p1 | set_p1 | get_p16 | set_p16) ops+=("$c") ;; esac
  done
  [ ${#ops[@]} -gt 0 ] || die "--tls measures get_p1, set_p1, get_p16 and set_p16 only"
  if [ $instr = 1 ]; then
    echo "== TLS: walnut's instructions per request"
    tls_instr "${ops[@]}"
  else
    echo "== TLS: requests/s"
    tls_perf "${ops[@]}"
  fi
}
