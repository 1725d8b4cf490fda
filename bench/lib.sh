# Shared by the bench scripts (source it; needs python3).

# A free UDP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Writes to $1 the rbldnsd ip4set data of the /16 benchmarks: 198.18.a.b is
# listed (127.0.0.2) when b % 16 == 0, and so is the RFC 5782 test point.
# 198.18.0.0/15 is the benchmarking range (RFC 2544): only labels in query
# names, answered by rbldnsd on loopback.
bench_data() {
  {
    echo '$SOA 60 ns.bench.test hostmaster.bench.test 0 600 300 86400 60'
    echo '$NS 60 ns.bench.test'
    echo ':127.0.0.2:listed'
    echo '127.0.0.2'
    for a in $(seq 0 255); do for b in $(seq 0 16 255); do echo "198.18.$a.$b"; done; done
  } > "$1"
  chmod 644 "$1"
}
