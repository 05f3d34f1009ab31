"""Where the bus is and how it signs, as every Esper process finds out: the runtime directory and
Oona's default ipc:// endpoints under it (oona/bus_endpoints.cc), signing keys and their files
(oona/key_file.h), and the YAML config's bus settings (oona/bus_location_config.h).
"""

import os
import sys


def default_runtime_dir():
    """$RUNTIME_DIRECTORY (systemd), else $XDG_RUNTIME_DIR/esper, else /tmp/esper-<uid>."""
    if os.environ.get("RUNTIME_DIRECTORY"):
        return os.environ["RUNTIME_DIRECTORY"]
    if os.environ.get("XDG_RUNTIME_DIR"):
        return os.path.join(os.environ["XDG_RUNTIME_DIR"], "esper")
    return "/tmp/esper-%d" % os.getuid()


def endpoints_under(runtime_dir):
    """Oona's default ipc:// endpoints under a runtime directory (oona/bus_endpoints.cc)."""
    def ipc(name):
        return "ipc://" + os.path.join(runtime_dir, name)
    return {
        "normal_ingress": ipc("oona-normal-in.sock"),
        "emergency_ingress": ipc("oona-emergency-in.sock"),
        "normal_egress": ipc("oona-normal-out.sock"),
        "emergency_egress": ipc("oona-emergency-out.sock"),
    }


def parse_hex_key(text):
    """A signing key written as 64 hex digits (oona/envelope_signer.h)."""
    key = bytes.fromhex(text.strip())
    if len(key) != 32:
        raise ValueError("signing key must be 32 bytes")
    return key


def read_secret_key_file(path, allow_insecure_permissions=False):
    """The text of a key file; refused if its group or others may access it (oona/key_file.h)."""
    with open(path, "rb") as f:
        mode = os.fstat(f.fileno()).st_mode
        if mode & 0o077:
            message = ("key file %s has mode %04o: its group or others may access it; chmod 600 it "
                       "(or set allow_insecure_key_permissions: true to accept it)" % (path, mode & 0o7777))
            if not allow_insecure_permissions:
                raise ValueError(message)
            print("WARNING: INSECURE: " + message, file=sys.stderr, flush=True)
        return f.read().decode("ascii", errors="replace")


def read_bus_config(path, runtime_dir=None):
    """Where the bus is and its signing key, from the YAML config every Esper process reads
    (oona/bus_location_config.h): runtime_dir, endpoints:, signing: (key_file or key_hex) and
    allow_insecure_key_permissions. Other keys are left to the programs that own them.

    Returns {"runtime_dir", "endpoints", "signing_key"} (signing_key None when signing is off);
    `runtime_dir` (a --runtime-dir flag) wins over the file's. Raises ValueError naming the file.
    """
    import yaml  # Debian's python3-yaml; only configs need it.

    with open(path) as f:
        root = yaml.safe_load(f) or {}
    if not isinstance(root, dict):
        raise ValueError("%s: the config must be a mapping" % path)
    if root.get("client_curve"):
        raise ValueError("%s: client_curve: the Python client does not speak CURVE" % path)
    allow_insecure = bool(root.get("allow_insecure_key_permissions", False))
    runtime_dir = runtime_dir or root.get("runtime_dir") or default_runtime_dir()
    endpoints = endpoints_under(runtime_dir)
    for name, value in (root.get("endpoints") or {}).items():
        if name not in endpoints:
            raise ValueError("%s: endpoints.%s: unknown endpoint" % (path, name))
        if not (str(value).startswith("ipc://") or str(value).startswith("tcp://")):
            raise ValueError("%s: endpoints.%s: must be an ipc:// or tcp:// endpoint" % (path, name))
        endpoints[name] = str(value)
    key = None
    signing = root.get("signing")
    if signing is not None:
        if not isinstance(signing, dict) or ("key_file" in signing) == ("key_hex" in signing):
            raise ValueError("%s: signing: give exactly one of key_file and key_hex" % path)
        try:
            text = (read_secret_key_file(signing["key_file"], allow_insecure) if "key_file" in signing
                    else str(signing["key_hex"]))
            key = parse_hex_key(text)
        except (OSError, ValueError) as error:
            raise ValueError("%s: signing: %s" % (path, error)) from error
    return {"runtime_dir": runtime_dir, "endpoints": endpoints, "signing_key": key}
