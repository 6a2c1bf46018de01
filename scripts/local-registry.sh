# Sourced by the demo scripts (OUT set): starts Debian's docker-registry on 127.0.0.1 for this run, its data
# in $OUT/.registry/data; sets REG (its directory) and PORT (5000 when free — stable references across runs —
# else any free port), and stops the registry when the script exits.
REG="$OUT/.registry"
mkdir -p "$REG/data"
REG=$(cd "$REG" && pwd)

# The registry: port 5000 when free (stable references across runs), else any free port; 127.0.0.1 only.
PORT=$(python3 - <<'PY'
import socket
for port in (5000, 0):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port)); print(s.getsockname()[1]); break
    except OSError:
        pass
    finally:
        s.close()
PY
)
cat > "$REG/config.yml" <<YML
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: $REG/data}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$PORT}
YML
docker-registry serve "$REG/config.yml" > "$REG/registry.log" 2>&1 &
REGISTRY_PID=$!
trap 'kill $REGISTRY_PID 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$PORT/v2/" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fsS "http://127.0.0.1:$PORT/v2/" >/dev/null || { echo "demo: the local registry did not start; see $REG/registry.log" >&2; exit 1; }
