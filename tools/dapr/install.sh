#!/usr/bin/env bash
# Build real Dapr (daprd, placement, scheduler, and the dapr CLI when the module
# proxy serves it) from its Go modules and lay out an install directory the way
# `dapr init --slim` does:
#
#   ${DAPR_INSTALL_DIR:-$HOME/.dapr}/bin/{daprd,placement,scheduler[,dapr]}
#   ${DAPR_INSTALL_DIR:-$HOME/.dapr}/config.yaml
#   ${DAPR_INSTALL_DIR:-$HOME/.dapr}/components/
#
# Cached: when the stamp in bin/ matches the versions and this directory's
# sources, a run does nothing. GOMODCACHE and GOCACHE stay at the go command's
# defaults, so a rebuild after a source change mostly reuses them.
#
# Environment:
#   DAPR_INSTALL_DIR   install directory (default ~/.dapr)
#   DAPR_BUILD_DIR     scratch directory (default ${XDG_CACHE_HOME:-~/.cache}/sidecar-dapr-build)
#   DAPR_CLI           auto (default): build the CLI, warn and go on if the
#                      proxy refuses it; required: fail instead; skip: don't try
#   DAPR_FORCE=1       rebuild even if the stamp matches
#
# How daprd is built: daprd's component registrations all need a build tag and
# its untagged zz_notag.go panics; we compile components/components.go in its
# place with `go build -overlay`. The go command refuses overlays of files
# under GOMODCACHE, so the build uses a hard-linked copy of the dapr module
# (a directory `replace` in a generated go.mod) outside the module cache.
set -euo pipefail

DAPR_VERSION=1.18.3
CLI_VERSION=1.18.0

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
INSTALL_DIR=${DAPR_INSTALL_DIR:-$HOME/.dapr}
BUILD_DIR=${DAPR_BUILD_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sidecar-dapr-build}
BIN_DIR=$INSTALL_DIR/bin
STAMP=$BIN_DIR/.sidecar-build-stamp
CLI_MODE=${DAPR_CLI:-auto}

hms() { printf '%dm%02ds' $(( $1 / 60 )) $(( $1 % 60 )); }
say() { printf '[dapr-install] %s\n' "$*"; }
die() { printf '[dapr-install] error: %s\n' "$*" >&2; exit 1; }

case $CLI_MODE in auto|required|skip) ;; *) die "DAPR_CLI must be auto, required or skip (got '$CLI_MODE')" ;; esac

command -v go >/dev/null 2>&1 || die "the go command is not on PATH. Install Go 1.26.6 or newer (dapr v$DAPR_VERSION needs it) and run this again."

# Everything that decides what gets built.
src_hash() {
    (cd "$SRC_DIR" && cat install.sh go.mod go.sum components/components.go stubs/azure-sdk-for-go/go.mod) |
        sha256sum | cut -c1-16
}
SRC_HASH=$(src_hash)

# ---------------------------------------------------------------- cache check
stamp_ok() {
    [[ -f $STAMP ]] || return 1
    local want="dapr=$DAPR_VERSION src=$SRC_HASH"
    grep -qxF "$want" <(head -n1 "$STAMP") || return 1
    local b
    for b in daprd placement scheduler; do [[ -x $BIN_DIR/$b ]] || return 1; done
    "$BIN_DIR/daprd" --version 2>/dev/null | grep -qxF "$DAPR_VERSION" || return 1
    local cli
    cli=$(sed -n 's/^cli=//p' "$STAMP")
    case $cli in
        "$CLI_VERSION") [[ -x $BIN_DIR/dapr ]] || return 1 ;;
        unavailable|skipped) [[ $CLI_MODE != required ]] || return 1 ;;
        *) return 1 ;;
    esac
    [[ $cli != skipped || $CLI_MODE == skip ]] || return 1
}

layout() {
    mkdir -p "$INSTALL_DIR/components"
    if [[ ! -f $INSTALL_DIR/config.yaml ]]; then
        cat >"$INSTALL_DIR/config.yaml" <<'EOF'
apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata:
  name: daprConfig
spec: {}
EOF
    fi
}

if [[ ${DAPR_FORCE:-0} != 1 ]] && stamp_ok; then
    layout
    case $(sed -n 's/^cli=//p' "$STAMP") in
        "$CLI_VERSION") cli_note="dapr CLI $CLI_VERSION" ;;
        unavailable) cli_note="no dapr CLI: building github.com/dapr/cli v$CLI_VERSION failed last time; DAPR_FORCE=1 retries" ;;
        *) cli_note="dapr CLI skipped" ;;
    esac
    say "dapr $DAPR_VERSION is already built in $BIN_DIR ($cli_note); nothing to do."
    exit 0
fi

# ---------------------------------------------------------------- helpers
# run_step LABEL LOGFILE CMD...: run CMD with its output in LOGFILE, print a
# line every 30 s while it runs, and on failure print what the go command said.
CHILD=
trap '[[ -n $CHILD ]] && kill "$CHILD" 2>/dev/null; true' EXIT
trap 'exit 130' INT TERM

run_step() {
    local label=$1 log=$2; shift 2
    local start=$SECONDS next=30
    say "$label ..."
    "$@" >"$log" 2>&1 &
    CHILD=$!
    while kill -0 "$CHILD" 2>/dev/null; do
        sleep 2
        if (( SECONDS - start >= next )); then
            local detail
            if [[ $label == Fetching* ]]; then
                detail="$(grep -c '^go: downloading ' "$log" || true) modules fetched"
            else
                detail="$(grep -cE '^[A-Za-z0-9._~/+-]+$' "$log" || true) packages compiled"
            fi
            say "  ... still ${label,} ($(hms $((SECONDS - start))), $detail)"
            next=$(( next + 30 ))
        fi
    done
    local rc=0
    wait "$CHILD" || rc=$?
    CHILD=
    if (( rc != 0 )); then
        printf '[dapr-install] %s: %s failed (exit %d). The go command said:\n' "${STEP_SEVERITY:-error}" "$label" "$rc" >&2
        # Drop progress lines and the bare package names that -v prints.
        grep -vE '^go: (downloading|finding|extracting) |^[A-Za-z0-9._~/+-]+$' "$log" | tail -n 60 | sed 's/^/    /' >&2
        printf '[dapr-install] full log: %s\n' "$log" >&2
        return "$rc"
    fi
    say "  done in $(hms $((SECONDS - start)))"
}

# ---------------------------------------------------------------- build
T0=$SECONDS
export CGO_ENABLED=0
say "building dapr $DAPR_VERSION with $(go env GOVERSION) into $BIN_DIR (module cache: $(go env GOMODCACHE))"
say "a cold build fetches ~180 MB of modules (~1 GB unpacked) and compiles for ~11 minutes on 2 cores"

mkdir -p "$BUILD_DIR/logs" "$BIN_DIR"
LOGS=$BUILD_DIR/logs
OUT=$BUILD_DIR/out
rm -rf "$OUT" && mkdir -p "$OUT"

# 1. The dapr module itself, checked against our go.sum. go.mod and go.sum are
#    used through copies (-modfile) so the sources here are never rewritten.
cp "$SRC_DIR/go.mod" "$BUILD_DIR/base.mod"
cp "$SRC_DIR/go.sum" "$BUILD_DIR/base.sum"
run_step "Fetching github.com/dapr/dapr v$DAPR_VERSION" "$LOGS/download-dapr.log" \
    bash -c 'cd "$1" && go mod download -modfile="$2" -json "github.com/dapr/dapr@v$3"' _ \
    "$SRC_DIR" "$BUILD_DIR/base.mod" "$DAPR_VERSION"
DAPR_MOD_DIR=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' "$LOGS/download-dapr.log")
DAPR_COMMIT=$(sed -n 's/^[[:space:]]*"Hash": "\([0-9a-f]*\)".*/\1/p' "$LOGS/download-dapr.log" | head -n1)
[[ -f $DAPR_MOD_DIR/cmd/daprd/components/zz_notag.go ]] ||
    die "unexpected layout of $DAPR_MOD_DIR: cmd/daprd/components/zz_notag.go is missing"

# 2. A copy outside GOMODCACHE (hard links: no extra disk when on one file
#    system), a go.mod that points at it, and the overlay.
COPY=$BUILD_DIR/dapr-v$DAPR_VERSION
if [[ -e $COPY ]]; then
    find "$COPY" -type d -exec chmod u+w {} +
    rm -rf "$COPY"
fi
cp -rl "$DAPR_MOD_DIR" "$COPY" 2>/dev/null || { rm -rf "$COPY"; cp -r "$DAPR_MOD_DIR" "$COPY"; }
cp "$SRC_DIR/go.mod" "$BUILD_DIR/go.mod"
cp "$SRC_DIR/go.sum" "$BUILD_DIR/go.sum"
go mod edit -replace "github.com/dapr/dapr=$COPY" "$BUILD_DIR/go.mod"
printf '{"Replace":{"%s":"%s"}}\n' \
    "$COPY/cmd/daprd/components/zz_notag.go" "$SRC_DIR/components/components.go" >"$BUILD_DIR/overlay.json"

GOFL=(-modfile="$BUILD_DIR/go.mod" -mod=readonly -overlay="$BUILD_DIR/overlay.json" -trimpath)
PKGS=(github.com/dapr/dapr/cmd/daprd github.com/dapr/dapr/cmd/placement github.com/dapr/dapr/cmd/scheduler)
LDFLAGS="-s -w -X github.com/dapr/dapr/pkg/buildinfo.version=$DAPR_VERSION -X github.com/dapr/dapr/pkg/buildinfo.gitversion=v$DAPR_VERSION -X github.com/dapr/kit/logger.DaprVersion=$DAPR_VERSION"
[[ -z $DAPR_COMMIT ]] || LDFLAGS+=" -X github.com/dapr/dapr/pkg/buildinfo.gitcommit=$DAPR_COMMIT"

# 3. Every module the three programs need (fails here, quickly, if the proxy
#    refuses one).
run_step "Fetching the modules daprd, placement and scheduler need" "$LOGS/download-deps.log" \
    bash -c 'cd "$1" && shift && go list -deps "$@" >/dev/null' _ "$SRC_DIR" "${GOFL[@]}" "${PKGS[@]}"

# 4. Compile.
i=0
for pkg in "${PKGS[@]}"; do
    i=$((i + 1))
    name=${pkg##*/}
    run_step "Building $name ($i/3)" "$LOGS/build-$name.log" \
        bash -c 'cd "$1" && shift && go build -v "$@"' _ "$SRC_DIR" "${GOFL[@]}" \
        -ldflags "$LDFLAGS" -o "$OUT/$name" "$pkg"
done

# 5. The CLI (its own module, no replace directives: plain go install).
CLI_STATE=skipped
if [[ $CLI_MODE != skip ]]; then
    severity=warning
    [[ $CLI_MODE != required ]] || severity=error
    if STEP_SEVERITY=$severity run_step "Building the dapr CLI v$CLI_VERSION" "$LOGS/build-cli.log" \
        bash -c 'cd "$1" && GOFLAGS= GOBIN="$2" go install -v -trimpath -ldflags "$3" "github.com/dapr/cli@v$4"' _ \
        "$BUILD_DIR" "$OUT/cli-bin" "-s -w -X main.version=$CLI_VERSION -X main.apiVersion=1.0" "$CLI_VERSION"; then
        mv "$OUT/cli-bin/cli" "$OUT/dapr"
        CLI_STATE=$CLI_VERSION
    elif [[ $CLI_MODE == required ]]; then
        die "the dapr CLI is required (DAPR_CLI=required) but could not be built"
    else
        say "warning: no dapr CLI: github.com/dapr/cli v$CLI_VERSION could not be built (above). daprd, placement and scheduler are installed; set DAPR_CLI=skip to stop trying."
        CLI_STATE=unavailable
    fi
fi

# 6. Install: replace each binary atomically, then the stamp.
for name in daprd placement scheduler dapr; do
    [[ -f $OUT/$name ]] || continue
    install -m 0755 "$OUT/$name" "$BIN_DIR/.$name.new"
    mv -f "$BIN_DIR/.$name.new" "$BIN_DIR/$name"
done
[[ $CLI_STATE == "$CLI_VERSION" ]] || rm -f "$BIN_DIR/dapr"
layout
printf 'dapr=%s src=%s\ncli=%s\nbuilt=%s with %s\n' "$DAPR_VERSION" "$SRC_HASH" "$CLI_STATE" \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(go env GOVERSION)" >"$STAMP"

rm -rf "$OUT"
say "installed in $(hms $((SECONDS - T0))): $(cd "$BIN_DIR" && for f in daprd placement scheduler dapr; do [[ -f $f ]] && printf '%s %s  ' "$f" "$(du -h "$f" | cut -f1)"; done)"
say "daprd --version: $("$BIN_DIR/daprd" --version)"
