//! What a refused call tells its caller: the fields its BadRequest names,
//! its stable reason, and the status inside an SDK error. Tests compare
//! these rather than messages, which may be reworded.

use tonic_types::StatusExt;

/// The fields a status's BadRequest details name, in order.
pub fn bad_fields(status: &tonic::Status) -> Vec<String> {
    status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}

/// The stable reason of a status's ErrorInfo.
pub fn error_reason(status: &tonic::Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|i| i.reason.clone())
        .unwrap_or_default()
}

/// The server's answer inside an SDK error; anything else (a local
/// failure) fails the test.
pub fn status_of(e: tradeport_mobile::Error) -> tonic::Status {
    match e {
        tradeport_mobile::Error::Status(s) => s,
        other => panic!("expected a status, got {other}"),
    }
}
