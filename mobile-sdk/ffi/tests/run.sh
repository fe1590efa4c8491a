#!/usr/bin/env bash
# The bindings' test, run by .ci/run: generates the Kotlin and Swift
# bindings from the built library, checks the Swift ones (with swiftc when
# there is one), compiles the Kotlin scenario against the Kotlin bindings
# and runs it against a demo server of its own. Prints one closing line,
# "kotlin: N passed, M failed".
#
# Tools come from package registries, pinned: the Kotlin compiler and
# kotlinx.coroutines from the kotlin-jupyter-kernel wheel (its "-all" jar
# holds both), JNA from the distribution's libjna-java.
set -euo pipefail
cd "$(dirname "$0")/../../.."

KOTLIN_WHEEL_VERSION=0.19.0.944
KOTLIN_JARS=.ci/.tools/kotlin/run_kotlin_kernel/jars
KOTLIN_ALL="$KOTLIN_JARS/kotlin-jupyter-kernel-0.19.0-944-all.jar"
KOTLIN_STDLIB="$KOTLIN_JARS/kotlin-stdlib-2.3.10-RC.jar"
KOTLIN_JSON="$KOTLIN_JARS/kotlinx-serialization-json-jvm-1.9.0.jar:$KOTLIN_JARS/kotlinx-serialization-core-jvm-1.9.0.jar"
JNA=/usr/share/java/jna.jar
OUT=target/ffi-bindings

cargo build --workspace --locked --quiet
LIB=target/debug/libtradeport_mobile_ffi.so

rm -rf "$OUT"
target/debug/uniffi-bindgen generate --library "$LIB" --language kotlin --out-dir "$OUT/kotlin" --no-format
target/debug/uniffi-bindgen generate --library "$LIB" --language swift --out-dir "$OUT/swift" --no-format

# The Swift bindings: the module, its C header and module map, as an
# XCFramework needs them (see mobile-sdk/ffi/README.md).
for f in TradeportMobile.swift TradeportMobileFFI.h TradeportMobileFFI.modulemap; do
    if [ ! -s "$OUT/swift/$f" ]; then
        echo "swift: the bindings lack $f" >&2
        exit 1
    fi
done
for api in 'class Client' 'class Device' 'protocol Authenticator' 'enum TradeportError' 'func syncNow() async throws'; do
    if ! grep -qF "$api" "$OUT/swift/TradeportMobile.swift"; then
        echo "swift: the bindings lack '$api'" >&2
        exit 1
    fi
done
if command -v swiftc >/dev/null; then
    swiftc -parse "$OUT/swift/TradeportMobile.swift"
    echo "swift: bindings generated and parsed by $(swiftc --version 2>&1 | head -n 1)"
else
    echo "swift: bindings generated and checked for their API; no swiftc on this machine to parse them"
fi

if [ ! -s "$KOTLIN_ALL" ]; then
    mkdir -p .ci/.tools/kotlin
    python3 -m pip download --quiet --no-deps --dest .ci/.tools/kotlin "kotlin-jupyter-kernel==$KOTLIN_WHEEL_VERSION"
    (cd .ci/.tools/kotlin && python3 -m zipfile -e kotlin_jupyter_kernel-*.whl .)
fi
if [ ! -s "$JNA" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libjna-java
fi
java -version 2>&1 | head -n 1

CLASSES=target/ffi-kotlin
rm -rf "$CLASSES"
mkdir -p "$CLASSES"
CLASSPATH="$KOTLIN_ALL:$KOTLIN_STDLIB:$KOTLIN_JSON:$JNA"
java -cp "$KOTLIN_ALL" org.jetbrains.kotlin.cli.jvm.K2JVMCompiler \
    -no-stdlib -no-reflect -nowarn -jvm-target 17 -classpath "$CLASSPATH" -d "$CLASSES" \
    $(find "$OUT/kotlin" -name '*.kt') mobile-sdk/ffi/tests/kotlin/*.kt

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
java -Djna.library.path="$(pwd)/target/debug" -cp "$CLASSES:$CLASSPATH" \
    com.tradeport.mobile.test.OfflineOrderTestKt "$(pwd)/target/debug/tradeport-server" "$WORK"
