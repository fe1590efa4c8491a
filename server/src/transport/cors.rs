//! CORS for browsers calling over gRPC-web: which origins may call, which
//! request headers a preflight may name, and which response headers a page
//! may read (grpc-status and friends). It never allows credentials
//! (cookies): callers authenticate with a bearer token they send themselves.

use std::time::Duration;

use http::{HeaderName, HeaderValue};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

use crate::config::Config;

/// Request headers every preflight may name: what gRPC-web clients send,
/// Tradeport's own, and W3C trace context (`traceparent`, `tracestate`) and
/// baggage, which OpenTelemetry's browser SDK adds to every call.
pub const ALWAYS_ALLOWED: [&str; 10] = [
    "content-type",
    "x-grpc-web",
    "x-user-agent",
    "grpc-timeout",
    "authorization",
    "x-tradeport-on-behalf-of",
    "x-request-id",
    "traceparent",
    "tracestate",
    "baggage",
];

/// Response headers a page may read.
const EXPOSED: [&str; 4] = [
    "grpc-status",
    "grpc-message",
    "grpc-status-details-bin",
    "x-request-id",
];

/// The CORS layer for `config`'s origins and extra headers, which
/// `Config::resolve` has normalised; an entry that still does not make a
/// header value is logged and left out.
pub fn layer(config: &Config) -> CorsLayer {
    let origins = &config.cors_origins;
    let allow_origin = if origins.iter().any(|o| o == "*") {
        tracing::info!("gRPC-web: any origin may call (CORS)");
        AllowOrigin::any()
    } else {
        if origins.is_empty() {
            tracing::info!(
                "gRPC-web: no CORS origins configured, so pages on other origins cannot call (set cors_origins)"
            );
        } else {
            tracing::info!(?origins, "gRPC-web: origins allowed to call (CORS)");
        }
        AllowOrigin::list(origins.iter().filter_map(|o| header_value(o)))
    };
    let extra = &config.cors_allow_headers;
    let allow_headers = if extra.iter().any(|h| h == "*") {
        // A literal "*" would not cover `authorization` (the Fetch
        // standard exempts it), so the preflight's own list is echoed.
        AllowHeaders::mirror_request()
    } else {
        AllowHeaders::list(
            ALWAYS_ALLOWED
                .map(HeaderName::from_static)
                .into_iter()
                .chain(extra.iter().filter_map(|h| header_name(h))),
        )
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([http::Method::POST, http::Method::OPTIONS])
        .allow_headers(allow_headers)
        .expose_headers(EXPOSED.map(HeaderName::from_static))
        .max_age(Duration::from_secs(24 * 60 * 60))
}

fn header_value(origin: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(origin)
        .inspect_err(|_| tracing::warn!(origin, "CORS origin is not a header value; ignored"))
        .ok()
}

fn header_name(name: &str) -> Option<HeaderName> {
    HeaderName::from_bytes(name.as_bytes())
        .inspect_err(|_| tracing::warn!(name, "CORS header is not a header name; ignored"))
        .ok()
}
