// A software passkey in Kotlin, for the test only: what Android's
// Credential Manager does behind `requestJson` and
// `registrationResponseJson`, with an in-memory P-256 key (java.security).
// It claims user verification without asking anyone, so it must never
// ship in an app.
//
// It makes "none" attestations: the authenticator data (RP id hash, flags,
// counter, attested credential with its COSE key) in a CBOR attestation
// object, and signs assertions over authenticatorData || SHA-256(clientDataJSON).

package com.tradeport.mobile.test

import com.tradeport.mobile.Authenticator
import com.tradeport.mobile.AuthenticatorFailure
import java.io.ByteArrayOutputStream
import java.math.BigInteger
import java.nio.ByteBuffer
import java.security.KeyPair
import java.security.KeyPairGenerator
import java.security.MessageDigest
import java.security.SecureRandom
import java.security.Signature
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import java.util.Base64
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import kotlinx.serialization.json.put
import kotlinx.serialization.json.putJsonObject

private fun b64url(bytes: ByteArray): String = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes)

private fun unb64url(text: String): ByteArray = Base64.getUrlDecoder().decode(text.trimEnd('='))

private fun sha256(bytes: ByteArray): ByteArray = MessageDigest.getInstance("SHA-256").digest(bytes)

/** The few CBOR items WebAuthn needs (RFC 8949, canonical key order by the caller). */
private class Cbor {
    val out = ByteArrayOutputStream()

    private fun head(major: Int, value: Long) {
        val m = major shl 5
        when {
            value < 24 -> out.write(m or value.toInt())
            value < 0x100 -> { out.write(m or 24); out.write(value.toInt()) }
            value < 0x10000 -> { out.write(m or 25); out.write(ByteBuffer.allocate(2).putShort(value.toShort()).array()) }
            else -> { out.write(m or 26); out.write(ByteBuffer.allocate(4).putInt(value.toInt()).array()) }
        }
    }

    fun int(v: Long) = if (v >= 0) head(0, v) else head(1, -1 - v)
    fun bytes(b: ByteArray) { head(2, b.size.toLong()); out.write(b) }
    fun text(s: String) { val b = s.toByteArray(); head(3, b.size.toLong()); out.write(b) }
    fun map(size: Int) = head(5, size.toLong())
}

/** A P-256 coordinate as exactly 32 unsigned big-endian bytes. */
private fun coordinate(v: BigInteger): ByteArray {
    val raw = v.toByteArray().dropWhile { it == 0.toByte() }.toByteArray()
    return ByteArray(32 - raw.size) + raw
}

class SoftwareAuthenticator : Authenticator {
    private class Held(val rpId: String, val id: ByteArray, val userHandle: ByteArray, val keys: KeyPair) {
        var counter = 0
    }

    private val held = mutableListOf<Held>()
    var registrations = 0
        private set
    var assertions = 0
        private set

    private fun clientData(type: String, challenge: String, origin: String): ByteArray =
        buildJsonObject {
            put("type", type)
            put("challenge", challenge)
            put("origin", origin)
            put("crossOrigin", false)
        }.toString().toByteArray()

    @Synchronized
    override fun register(origin: String, optionsJson: String): String {
        val options = Json.parseToJsonElement(optionsJson).jsonObject
        val rpId = options["rp"]!!.jsonObject["id"]!!.jsonPrimitive.content
        val userHandle = unb64url(options["user"]!!.jsonObject["id"]!!.jsonPrimitive.content)
        val challenge = options["challenge"]!!.jsonPrimitive.content
        val algorithms = options["pubKeyCredParams"]!!.jsonArray.map { it.jsonObject["alg"]!!.jsonPrimitive.content.toInt() }
        if (-7 !in algorithms) throw AuthenticatorFailure.Failed("ES256 (-7) not offered: $algorithms")

        val keys = KeyPairGenerator.getInstance("EC").apply { initialize(ECGenParameterSpec("secp256r1")) }.generateKeyPair()
        val id = ByteArray(16).also { SecureRandom().nextBytes(it) }
        val point = (keys.public as ECPublicKey).w
        val cose = Cbor().apply {
            map(5)
            int(1); int(2) // kty: EC2
            int(3); int(-7) // alg: ES256
            int(-1); int(1) // crv: P-256
            int(-2); bytes(coordinate(point.affineX))
            int(-3); bytes(coordinate(point.affineY))
        }.out.toByteArray()
        val authData = ByteArrayOutputStream().apply {
            write(sha256(rpId.toByteArray()))
            write(0x45) // user present, user verified, attested credential data
            write(ByteArray(4)) // signature counter 0
            write(ByteArray(16)) // AAGUID: none
            write(ByteBuffer.allocate(2).putShort(id.size.toShort()).array())
            write(id)
            write(cose)
        }.toByteArray()
        val attestation = Cbor().apply {
            map(3)
            text("fmt"); text("none")
            text("attStmt"); map(0)
            text("authData"); bytes(authData)
        }.out.toByteArray()
        held += Held(rpId, id, userHandle, keys)
        registrations++
        return buildJsonObject {
            put("id", b64url(id))
            put("rawId", b64url(id))
            put("type", "public-key")
            putJsonObject("response") {
                put("attestationObject", b64url(attestation))
                put("clientDataJSON", b64url(clientData("webauthn.create", challenge, origin)))
            }
            putJsonObject("clientExtensionResults") {}
        }.toString()
    }

    @Synchronized
    override fun authenticate(origin: String, optionsJson: String): String {
        val options = Json.parseToJsonElement(optionsJson).jsonObject
        val rpId = options["rpId"]!!.jsonPrimitive.content
        val challenge = options["challenge"]!!.jsonPrimitive.content
        val allowed = options["allowCredentials"]?.jsonArray
            ?.map { unb64url(it.jsonObject["id"]!!.jsonPrimitive.content) }.orEmpty()
        // An empty list asks for any (discoverable) passkey: the newest.
        val credential = held.lastOrNull { c -> c.rpId == rpId && (allowed.isEmpty() || allowed.any { it.contentEquals(c.id) }) }
            ?: throw AuthenticatorFailure.NoCredential(rpId)
        credential.counter++
        val authData = ByteArrayOutputStream().apply {
            write(sha256(rpId.toByteArray()))
            write(0x05) // user present, user verified
            write(ByteBuffer.allocate(4).putInt(credential.counter).array())
        }.toByteArray()
        val clientData = clientData("webauthn.get", challenge, origin)
        val signature = Signature.getInstance("SHA256withECDSA").run {
            initSign(credential.keys.private)
            update(authData)
            update(sha256(clientData))
            sign()
        }
        assertions++
        return buildJsonObject {
            put("id", b64url(credential.id))
            put("rawId", b64url(credential.id))
            put("type", "public-key")
            putJsonObject("response") {
                put("authenticatorData", b64url(authData))
                put("clientDataJSON", b64url(clientData))
                put("signature", b64url(signature))
                put("userHandle", b64url(credential.userHandle))
            }
            putJsonObject("clientExtensionResults") {}
        }.toString()
    }
}
