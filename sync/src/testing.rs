//! What the tests of every document kind do alike — merging two copies both
//! ways, asking which field `load` refuses — written once, so that each
//! kind's tests say only what is that kind's own.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use automerge::ChangeHash;

use crate::{Document, Error, Schema};

/// Merges `a` into `b` and `b` into `a`, and checks the two copies converged.
pub(crate) fn merge_both_ways<S: Schema>(a: &mut Document<S>, b: &mut Document<S>) {
    a.merge(b).unwrap();
    b.merge(a).unwrap();
    assert_eq!(heads(a), heads(b), "copies did not converge");
}

/// The field named by the error `load` gives for `d` saved.
pub(crate) fn refused_field<S: Schema>(d: &mut Document<S>) -> String {
    match Document::<S>::load(&d.save()) {
        Err(Error::Malformed { field, .. }) => field,
        other => panic!("expected a malformed document, got {other:?}"),
    }
}

/// The copy's heads: equal heads, equal documents.
pub(crate) fn heads<S: Schema>(d: &mut Document<S>) -> Vec<ChangeHash> {
    d.doc.get_heads()
}
