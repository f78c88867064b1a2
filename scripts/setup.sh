#!/usr/bin/env bash
# Prepare this checkout: a Python 3.11 virtualenv with the pinned dependencies.
# Usage: scripts/setup.sh [--test]   (--test also installs what the test suite needs)
set -euo pipefail
cd "$(dirname "$0")/.."

python_bin=""
for candidate in python3.11 python3; do
  if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    python_bin=$candidate; break
  fi
done
[ -n "$python_bin" ] || { echo "Pigeon needs Python 3.11" >&2; exit 1; }

stamp=.venv/.installed-$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)
extras=""
[ "${1:-}" = "--test" ] && extras="[test,dev]" && stamp="$stamp-test"
if [ ! -f "$stamp" ]; then
  [ -d .venv ] || "$python_bin" -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".${extras}"
  touch "$stamp"
fi

if [ "${1:-}" = "--test" ]; then
  # System packages the tests drive for real: PostgreSQL (throwaway clusters via initdb/pg_ctl),
  # espeak-ng (text-to-speech for voice messages).
  missing=()
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
  command -v espeak-ng >/dev/null || missing+=(espeak-ng)
  if [ ${#missing[@]} -gt 0 ]; then
    sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

if [ "${1:-}" = "--test" ]; then
  # The SMPP test peer (tests/peers/smsc): node-smpp pinned by its package-lock.json; stunnel4 and openssl
  # put TLS in front of it (the SMPP-over-TLS test).
  smpp_missing=()
  { command -v node >/dev/null && command -v npm >/dev/null; } || smpp_missing+=(nodejs npm)
  command -v stunnel4 >/dev/null || smpp_missing+=(stunnel4)
  command -v openssl >/dev/null || smpp_missing+=(openssl)
  if [ ${#smpp_missing[@]} -gt 0 ]; then
    sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${smpp_missing[@]}" >/dev/null
  fi
  peer=tests/peers/smsc
  if [ ! -d "$peer/node_modules" ] || [ "$peer/package-lock.json" -nt "$peer/node_modules" ]; then
    npm ci --prefix "$peer" --no-audit --no-fund --loglevel=error >/dev/null
    touch "$peer/node_modules"
  fi
fi

if [ "${1:-}" = "--test" ]; then
  # SIP voice calls (tests/sip): baresip is the called party that records what it hears, SIPp (sip-tester) a
  # trunk asking for digest authentication, sox renders the call audio (8 kHz G.711) and reads recordings,
  # espeak-ng speaks the message.
  sip_missing=()
  command -v baresip >/dev/null || sip_missing+=(baresip)
  command -v sipp >/dev/null || sip_missing+=(sip-tester)
  command -v sox >/dev/null || sip_missing+=(sox libsox-fmt-all)
  command -v espeak-ng >/dev/null || sip_missing+=(espeak-ng)
  if [ ${#sip_missing[@]} -gt 0 ]; then
    sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${sip_missing[@]}" >/dev/null
  fi
fi
