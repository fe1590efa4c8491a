#!/usr/bin/env python3
"""Checks the architecture invariants of ARCHITECTURE.md that a machine can
check: what each crate may depend on (from `cargo metadata`), what each
layer may import (by path), and how long a source file may grow.

Each rule names the invariant it guards, so a failure says which promise
the change broke rather than only which line. Run from the repository
root; exits non-zero listing every violation.
"""

import json
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent

# Invariant: the domain is pure rules. These are the only crates it may
# depend on (normal dependencies; optional ones only behind `fixtures`).
DOMAIN_ALLOWED = {
    "rust_decimal", "serde", "serde_json", "time", "thiserror", "csv",
    "base64", "url",
}
DOMAIN_FIXTURES_ONLY = {"rand", "rand_chacha"}

# Invariant: the sync documents depend on the domain's rules and automerge,
# nothing of the server's.
SYNC_ALLOWED = {"tradeport-domain", "automerge", "rust_decimal", "thiserror", "time"}

# Invariant: an app needs the mobile SDK alone; everything it names (drafts,
# error codes, event receivers, wire messages, a runtime) is re-exported.
# The example app crate is held to depending on nothing else.
APP_EXAMPLE = "tradeport-mobile-example"
APP_ALLOWED = {"tradeport-mobile"}

# Invariant: nothing but the server (and the tests) depends on the server.
SERVER_DEPENDENTS_ALLOWED = {"tradeport-tests"}

# (invariant, files, forbidden pattern, allowed exceptions as regex on the line)
IMPORT_RULES = [
    (
        "the domain never imports the wire, the store, the runtime, cryptography or the server",
        "server/domain/src/**/*.rs",
        r"\b(tonic|prost|sled|tokio|ring|webauthn_rs|tradeport_server|tradeport_proto|tradeport_sync)::",
        None,
    ),
    (
        "the domain never reads the clock or touches the OS: callers pass the time in",
        "server/domain/src/**/*.rs",
        r"\b(SystemTime::now|Instant::now|OffsetDateTime::now_utc|std::fs::|std::net::|std::env::)",
        None,
    ),
    (
        "the use cases never know the wire",
        "server/src/service/**/*.rs",
        r"\b(tonic|tradeport_proto|http)::",
        None,
    ),
    (
        "api never touches the store: it calls one use case (errors.rs maps StoreError)",
        "server/src/api/**/*.rs",
        r"\bcrate::store\b",
        r"crate::store::StoreError",
    ),
    (
        "authorization happens in the use case: api names no permission",
        "server/src/api/**/*.rs",
        r"\b(Action::|permissions::)",
        None,
    ),
    (
        "the store never reaches up into the use cases or the api",
        "server/src/store/**/*.rs",
        r"\bcrate::(service|api|transport|auth)\b",
        None,
    ),
    (
        "only the store names the storage engine",
        "server/src/**/*.rs",
        r"\bsled::",
        None,
    ),
    (
        "the mobile SDK talks to the server over the wire only",
        "mobile-sdk/src/**/*.rs",
        r"\btradeport_server::",
        None,
    ),
]

# Where each rule's file glob may legitimately hold the pattern.
RULE_EXEMPT_PATHS = {
    "only the store names the storage engine": re.compile(r"^server/src/store/"),
}

MAX_LINES = 600
# Sources whose length is test code: sibling test files and test modules.
TEST_FILE = re.compile(r"(_tests\.rs|/tests\.rs|/tests/|/benches/)$|/tests/|/benches/")


def metadata():
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps", "--locked"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    return {p["name"]: p for p in json.loads(out)["packages"]}


def crate_rules(packages, problems):
    domain = packages["tradeport-domain"]
    for dep in domain["dependencies"]:
        if dep["kind"] is not None:  # dev or build
            continue
        name = dep["name"]
        if name in DOMAIN_ALLOWED:
            continue
        if name in DOMAIN_FIXTURES_ONLY and dep["optional"]:
            continue
        problems.append(f"tradeport-domain depends on {name}: the domain is pure rules "
                        f"(allowed: {', '.join(sorted(DOMAIN_ALLOWED))})")
    for feature, enables in domain["features"].items():
        for item in enables:
            dep = item.removeprefix("dep:")
            if dep in DOMAIN_FIXTURES_ONLY and feature != "fixtures":
                problems.append(f"tradeport-domain's feature {feature} enables {dep}, "
                                "which only the fixtures may use")
    for dep in packages["tradeport-sync"]["dependencies"]:
        if dep["kind"] is None and dep["name"] not in SYNC_ALLOWED:
            problems.append(f"tradeport-sync depends on {dep['name']}")
    for dep in packages[APP_EXAMPLE]["dependencies"]:
        if dep["name"] not in APP_ALLOWED:
            problems.append(f"{APP_EXAMPLE} depends on {dep['name']}: an app needs "
                            "tradeport-mobile alone (re-export what it lacks from the SDK)")
    for name, package in packages.items():
        for dep in package["dependencies"]:
            if dep["name"] == "tradeport-server" and name not in SERVER_DEPENDENTS_ALLOWED:
                problems.append(f"{name} depends on tradeport-server")


def import_rules(problems):
    for invariant, pattern_glob, forbidden, allowed in IMPORT_RULES:
        exempt = RULE_EXEMPT_PATHS.get(invariant)
        for path in sorted(ROOT.glob(pattern_glob)):
            rel = path.relative_to(ROOT).as_posix()
            if exempt and exempt.search(rel):
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                code = line.split("//", 1)[0]
                if not re.search(forbidden, code):
                    continue
                if allowed and re.search(allowed, code):
                    continue
                problems.append(f"{rel}:{number}: {invariant}: {line.strip()}")


def size_rule(problems):
    tracked = subprocess.run(
        ["git", "ls-files", "*.rs"], cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.split()
    for rel in tracked:
        if TEST_FILE.search(rel):
            continue
        lines = (ROOT / rel).read_text().count("\n")
        if lines > MAX_LINES:
            problems.append(f"{rel}: {lines} lines; a source file stays under {MAX_LINES} "
                            "(split it by concern)")


def main():
    problems = []
    crate_rules(metadata(), problems)
    import_rules(problems)
    size_rule(problems)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} architecture invariants broken (see ARCHITECTURE.md)")
        sys.exit(1)
    print("architecture invariants hold")


if __name__ == "__main__":
    main()
