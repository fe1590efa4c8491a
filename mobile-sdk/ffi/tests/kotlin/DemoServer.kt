// The demo server the scenario talks to: started from the built binary on
// a data directory of its own, with the development TLS certificate, and
// stopped and started again on the same port to take the device offline.

package com.tradeport.mobile.test

import java.io.File
import java.net.Socket
import java.util.concurrent.TimeUnit

class DemoServer(private val binary: String, private val dataDir: File, val port: Int) {
    private var process: Process? = null
    private val log = File(dataDir.parentFile, "server.log")

    /** Lines the server printed on its first start: enrolment codes and the certificate. */
    var banner: List<String> = emptyList()
        private set

    val address get() = "https://localhost:$port"

    /** The development CA the server's certificate is signed with. */
    val certificatePem: String
        get() = File(banner.first { it.startsWith("TLS certificate: ") }.removePrefix("TLS certificate: ")).readText()

    /** The one-time enrolment code of the demo person with this email. */
    fun enrolmentCode(email: String): String =
        banner.first { it.trim().startsWith(email + " ") }.trim().split(Regex("\\s+")).last()

    fun start() {
        val p = ProcessBuilder(binary, "--demo", "--dev-tls", "--data-dir", dataDir.path, "--listen", "127.0.0.1:$port")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log))
            .start()
        process = p
        val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180)
        while (System.nanoTime() < deadline) {
            check(p.isAlive) { "the demo server exited:\n" + log.readText() }
            // Ready once it takes connections and has said what it had to say.
            val said = log.readLines()
            val ready = said.any { it.startsWith("Demo partner app API key") || it.startsWith("Demo data was seeded on an earlier run") }
            if (ready && accepts()) {
                if (banner.isEmpty()) banner = said
                return
            }
            Thread.sleep(250)
        }
        error("the demo server did not start within 180 s:\n" + log.readText())
    }

    private fun accepts(): Boolean = runCatching { Socket("127.0.0.1", port).close() }.isSuccess

    /** Stops the server (SIGTERM, then waits): the device is offline until [start]. */
    fun stop() {
        val p = process ?: return
        p.destroy()
        if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly().waitFor()
        process = null
        // Truncate the log so the next start is judged on its own lines.
        log.appendText("---- stopped by the test ----\n")
        log.renameTo(File(log.path + ".${System.nanoTime()}"))
    }
}
