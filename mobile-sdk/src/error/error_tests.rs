//! How errors are classified: the server's answers by their code, local
//! failures by what they are, draft edits by the field at fault.

use tonic::{Code, Status};

use super::*;

#[test]
fn the_servers_answers_are_classified_by_code() {
    let refused = Error::from(Status::failed_precondition("price moved"));
    assert!(refused.refused_by_server() && refused.is_permanent());
    assert!(!refused.is_offline() && !refused.needs_sign_in());
    assert_eq!(refused.code(), ErrorCode::FailedPrecondition);

    let expired = Error::from(Status::unauthenticated("session expired"));
    assert!(expired.needs_sign_in() && !expired.refused_by_server());
    assert_eq!(expired.code(), ErrorCode::NotSignedIn);

    // The server said UNAVAILABLE (restarting): transient, but it answered.
    let busy = Error::from(Status::new(Code::Unavailable, "draining"));
    assert!(busy.is_transient() && !busy.is_offline() && !busy.refused_by_server());
    assert_eq!(busy.code(), ErrorCode::ServerBusy);
    assert!(matches!(busy, Error::Status(_)));
}

#[test]
fn a_status_made_here_because_no_answer_came_is_offline_whatever_its_words() {
    // The three ways tonic words a call that got no answer.
    let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
    let made_here = [
        Status::from_error(Box::new(tonic::ConnectError(Box::new(refused)))),
        Status::from_error(Box::new(tonic::TimeoutExpired(()))),
        Status::from_error(Box::new(std::io::Error::other("transport error"))),
    ];
    let codes: Vec<Code> = made_here.iter().map(Status::code).collect();
    assert_eq!(codes, [Code::Unavailable, Code::Cancelled, Code::Unknown]);
    for status in made_here {
        let error = Error::from(status);
        assert!(error.is_offline() && error.is_transient(), "{error:?}");
        assert_eq!(error.code(), ErrorCode::Offline);
        assert!(!error.needs_sign_in() && !error.refused_by_server());
    }
    // The same codes in the server's answer are not offline.
    let answered = Error::from(Status::cancelled("the server gave up"));
    assert!(!answered.is_offline() && !answered.is_transient());
}

#[test]
fn an_expired_certificate_is_permanent_and_blames_the_clock() {
    let io = std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        rustls::Error::InvalidCertificate(rustls::CertificateError::Expired),
    );
    let status = Status::from_error(Box::new(io));
    assert!(is_permanent(&status));
    let error = Error::from(status);
    assert!(matches!(
        error,
        Error::ServerCertificate {
            clock_suspect: true,
            ..
        }
    ));
    assert!(!error.is_transient() && !error.is_offline());
    assert_eq!(error.code(), ErrorCode::DeviceClock);

    let io = std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
    );
    let error = Error::from(Status::from_error(Box::new(io)));
    assert_eq!(error.code(), ErrorCode::ServerCertificate);
}

#[test]
fn draft_edits_keep_the_field_and_tell_a_removed_line_apart() {
    let mut draft = tradeport_sync::OrderDraft::new("acc-1").unwrap();
    let bad = draft.add_line("TP-1", "0").unwrap_err();
    match Error::from_draft(bad) {
        Error::InvalidArgument { field, .. } => assert_eq!(field, "quantity"),
        other => panic!("{other:?}"),
    }
    let bad = draft.add_line("", "1").unwrap_err();
    assert_eq!(Error::from_draft(bad).field().as_deref(), Some("sku"));

    let line = draft.add_line("TP-1", "1").unwrap();
    draft.remove_line(&line).unwrap();
    let gone = Error::from_draft(draft.set_quantity(&line, "2").unwrap_err());
    assert!(matches!(&gone, Error::LineRemoved { line_id } if line_id == line.as_str()));
    assert_eq!(gone.code(), ErrorCode::LineRemoved);
}

#[test]
fn errors_clone() {
    let error = Error::from(std::io::Error::other("disk"));
    let copy = error.clone();
    assert_eq!(copy.to_string(), error.to_string());
    assert_eq!(copy.code(), ErrorCode::LocalStorage);
}
