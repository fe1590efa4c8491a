// The mobile SDK from Kotlin, against a demo server: a buyer enrols and
// signs in with a passkey made in Kotlin, pulls the reference data, edits a
// draft while the server is down, syncs when it is back, submits the draft
// through the outbox, and a second device of theirs finds the order on the
// server. Prints one closing line; exits non-zero on the first failure.

package com.tradeport.mobile.test

import com.tradeport.mobile.ActionState
import com.tradeport.mobile.Client
import com.tradeport.mobile.Event
import com.tradeport.mobile.TradeportException
import java.io.File
import java.net.ServerSocket
import kotlin.system.exitProcess
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.withTimeoutOrNull

const val ORIGIN = "http://localhost"
const val BUYER = "buyer@"

private var passed = 0

private fun check(what: String, condition: Boolean, detail: () -> Any? = { null }) {
    if (!condition) throw AssertionError("$what" + (detail()?.let { ": $it" } ?: ""))
    passed++
    println("  ok  $what")
}

private inline fun <reified E : Throwable> thrown(block: () -> Unit): E? =
    try { block(); null } catch (e: Throwable) { e as? E ?: throw e }

fun freePort(): Int = ServerSocket(0).use { it.localPort }

fun main(args: Array<String>) {
    val (binary, workDir) = args
    val server = DemoServer(binary, File(workDir, "data"), freePort())
    val outcome = runCatching { runBlocking { scenario(server, File(workDir)) } }
    server.stop()
    outcome.exceptionOrNull()?.let {
        it.printStackTrace()
        println("kotlin: $passed passed, 1 failed")
        exitProcess(1)
    }
    println("kotlin: $passed passed, 0 failed")
}

suspend fun scenario(server: DemoServer, work: File) {
    server.start()
    val buyerLine = server.banner.first { it.trim().startsWith(BUYER) }.trim()
    val email = buyerLine.split(Regex("\\s+")).first()
    val passkey = SoftwareAuthenticator()

    // Enrolment: the Kotlin authenticator makes the credential (attestation "none").
    val enrolling = Client.connect(server.address, server.certificatePem, 5_000u)
    enrolling.enrol(passkey, ORIGIN, server.enrolmentCode(email), "Kotlin test key", "enrolling phone")
    check("enrolment signed in through the Kotlin authenticator", enrolling.isSignedIn() && passkey.registrations == 1)

    // Sign-in by name on the phone the rest runs on: an assertion signed in Kotlin.
    val phone = Client.connect(server.address, server.certificatePem, 5_000u)
    check("a new client starts signed out", !phone.isSignedIn())
    phone.signIn(passkey, ORIGIN, email, "buyer's phone")
    val caller = phone.caller()
    check("signed in as the buyer of a customer account", caller.accountId.isNotEmpty() && passkey.assertions == 1) { caller }

    val device = phone.openDevice(File(work, "phone").path)
    val events = device.events()
    val pull = device.pull()
    check("the first pull brought the reference data", pull.changes > 0uL && device.status().products > 0uL) { pull }

    val hits = device.search("TP-EL-00007", 5u)
    check("offline search finds a SKU first", hits.firstOrNull()?.sku == "TP-EL-00007") { hits }
    val product = device.product("TP-LI-01001")
    check("a product with the buyer's price breaks", product != null && product.priceBreaks.isNotEmpty()) { product }
    val price = device.price("TP-LI-01001", "2")
    check("an offline price for two units", price != null && price.quantity == "2" && price.lineTotal.toBigDecimal().signum() > 0) { price }
    val badQuantity = thrown<TradeportException.InvalidInput> { device.price("TP-LI-01001", "two") }
    check("a bad quantity names the field", badQuantity?.field == "quantity") { badQuantity }

    val drafts = device.drafts()
    val draft = drafts.create(caller.accountId)
    val first = drafts.addLine(draft, "TP-EL-00007", "4")
    device.syncNow()
    check("the new draft reached the server", drafts.pending() == 0uL && device.status().pendingDraftChanges == 0uL)

    // Offline: the server is down while the person edits.
    server.stop()
    drafts.setQuantity(draft, first, "10")
    drafts.addLine(draft, "TP-LI-01001", "2")
    val offline = drafts.read(draft)
    check("offline edits are on the device", offline.lines.map { it.sku to it.quantity }.toSet() == setOf("TP-EL-00007" to "10", "TP-LI-01001" to "2")) { offline }
    check("the edits wait to be synced", device.status().pendingDraftChanges > 0uL)
    val failedSync = thrown<TradeportException> { device.syncNow() }
    check("a sync while the server is down fails as offline", failedSync is TradeportException.Offline) { failedSync }

    server.start()
    device.syncNow()
    check("back online, the edits are synced", device.status().pendingDraftChanges == 0uL)

    // Read what the syncs so far reported, until a wait times out: a
    // cancelled wait must not take the next event with it.
    var earlier = 0
    while (withTimeoutOrNull(500) { events.next() } != null) earlier++
    check("the syncs reported reference-data updates", earlier > 0)

    val requestId = device.queueSubmitDraft(draft)
    check("the submission is queued", device.status().pendingActions == 1uL)
    device.syncNow()
    val entry = device.outbox().single { it.requestId == requestId }
    val order = (entry.state as? ActionState.Succeeded)?.order
    check("the server accepted the order", order != null && order.number.isNotEmpty()) { entry.state }
    order!!
    val accepted = withTimeout(10_000) {
        var event = events.next()
        while (event != null && !(event is Event.ActionSucceeded && event.requestId == requestId)) event = events.next()
        event as? Event.ActionSucceeded
    }
    check("the event stream told the app", accepted?.order?.id == order.id)

    // Another device of the same person, signed in usernameless, reads the
    // order from the server's feed: it exists there, with the merged lines.
    val tablet = Client.connect(server.address, server.certificatePem, 5_000u)
    tablet.signIn(passkey, ORIGIN, null, "buyer's tablet")
    val second = tablet.openDevice(File(work, "tablet").path)
    second.pull()
    val onServer = second.order(order.id)
    check("the order is on the server with the offline edits", onServer?.lines?.map { it.sku to it.quantity }?.toSet() == setOf("TP-EL-00007" to "10", "TP-LI-01001" to "2")) { onServer }

    val signedOut = device.signOut()
    check("sign-out ended the session on the server", signedOut.loggedOutOnServer && signedOut.discardedActions == 0uL) { signedOut }
    check("a signed-out device answers nothing", thrown<TradeportException.SignedOut> { device.search("TP", 1u) } != null)
    check("its directory is gone", !File(work, "phone").exists())
    second.signOut()
}
