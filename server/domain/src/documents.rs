//! The rules of synced documents (order drafts, shopping lists, visit
//! notes): who may sync one, how a round is bounded, when a document's
//! history is compacted, and how its stored form is described.
//!
//! The documents' own validity (layout, quantities, a draft that must not
//! change account) is `tradeport_sync`'s, shared with the devices; this
//! module never looks inside a document.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::identity::records::Account;
use super::identity::{Caller, Role};
use super::{DomainError, FieldViolation};

/// The most documents one sync round may carry, a message each. The
/// server refuses a larger round (`ROUND_TOO_LARGE`), so that one request
/// never holds many documents' locks or builds an unbounded commit; a
/// device with more documents to sync spreads them over the rounds of one
/// sync. It lives in the domain, where both sides read it, so a device never splits
/// by another number than the server checks.
pub const MAX_DOCUMENTS_PER_ROUND: usize = 200;

/// The changes a copy holds that wait for a dependency it has not
/// received (see `tradeport_sync::Replica::waiting`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Waiting {
    pub changes: usize,
    /// Their size as automerge stores them, headers included.
    pub bytes: usize,
}

/// At most this many of a document's changes may wait for a dependency
/// the server has not received. Such changes are kept (a bloom filter's
/// false positive makes a device send the changes built on one it holds
/// back, and they must be there when it comes), and the server keeps
/// documents in memory, so without a bound a device that sends changes
/// whose dependencies never come grows the server at will. An honest
/// device's waiting changes are those sent ahead after one false
/// positive: a handful, and at the very worst a draft's whole offline
/// history, which could be several hundred changes. Ten times that still
/// leaves room, and no honest sync comes near it.
pub const MAX_WAITING_CHANGES: usize = 2_000;

/// ... and at most this many bytes of them. A line edit is a change of a
/// few hundred bytes, so several hundred of them take well under a
/// megabyte, as do a dozen rewrites of a visit note's longest text
/// (20,000 characters); a change that large is rare, and the bound is
/// about memory, not about how a person edits.
pub const MAX_WAITING_BYTES: usize = 2 * 1024 * 1024;

/// A document's incremental saves are folded into one full save once there
/// are this many: loading stays fast, and the store does not keep one
/// record per keystroke forever.
pub const COMPACT_AFTER: u32 = 64;

/// A peer id is the device's own name for its copy.
pub const MAX_PEER_ID_LEN: usize = 128;

/// Whether `caller` may sync documents of `account`: the account's own
/// members, and the sales reps the account is assigned to (directly or by
/// territory). Brand staff do not see customers' work in progress: a draft
/// is the buyer's until it is submitted. A rep acting for one customer sees
/// only that customer's documents.
pub fn may_sync(caller: &Caller, account: &Account) -> bool {
    if let Some(acting) = &caller.on_behalf_of
        && *acting != account.id
    {
        return false;
    }
    match &caller.account_id {
        Some(own) => *own == account.id,
        None => caller.roles.contains(&Role::SalesRep) && caller.sees(account),
    }
}

/// Checks the device's peer id: it keys the sync state the server keeps.
pub fn check_peer_id(peer_id: &str) -> Result<(), DomainError> {
    if peer_id.is_empty() {
        return Err(DomainError::invalid(
            "PEER_ID_REQUIRED",
            "peer_id",
            "name this device's copy with a peer_id",
        ));
    }
    if peer_id.len() > MAX_PEER_ID_LEN
        || !peer_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(DomainError::invalid(
            "PEER_ID_INVALID",
            "peer_id",
            format!(
                "a peer_id is 1 to {MAX_PEER_ID_LEN} characters of letters, digits, '-', '_' and '.'"
            ),
        ));
    }
    Ok(())
}

/// Checks a later round of a stream against the device its first round
/// named: a stream syncs one device, and a round naming no peer id goes
/// on with it.
pub fn check_same_peer(stream_peer: &str, named: &str) -> Result<(), DomainError> {
    if named.is_empty() || named == stream_peer {
        return Ok(());
    }
    Err(DomainError::invalid(
        "PEER_ID_CHANGED",
        "peer_id",
        "a stream syncs one device; open another stream for another peer_id",
    ))
}

/// Checks the number of a round a device sends on a stream: its rounds
/// count from 1, as 0 marks the rounds the server pushes.
pub fn check_round_number(round: u64) -> Result<(), DomainError> {
    if round == 0 {
        return Err(DomainError::invalid(
            "ROUND_REQUIRED",
            "round",
            "number each round from 1; 0 marks the server's pushes",
        ));
    }
    Ok(())
}

/// The accounts whose documents `caller` lists: the one they act in
/// (their own, or the one a rep acts for), else the accounts assigned to
/// a rep by name (territory assignments need an index of accounts by
/// territory first). Each is still checked with [`may_sync`].
pub fn listed_accounts(caller: &Caller) -> Vec<&str> {
    match caller
        .on_behalf_of
        .as_deref()
        .or(caller.account_id.as_deref())
    {
        Some(acting) => vec![acting],
        None => caller
            .assigned_accounts
            .iter()
            .map(String::as_str)
            .collect(),
    }
}

/// Checks the size of a round: a device with more documents syncs them
/// over several rounds, so one request never holds many documents' locks
/// or builds an unbounded commit.
pub fn check_round(documents: usize) -> Result<(), DomainError> {
    if documents > MAX_DOCUMENTS_PER_ROUND {
        return Err(DomainError::invalid(
            "ROUND_TOO_LARGE",
            "messages",
            format!(
                "{documents} documents in one round; send at most {MAX_DOCUMENTS_PER_ROUND} per round"
            ),
        ));
    }
    Ok(())
}

/// Checks the changes of `document_id` waiting for a dependency after a
/// round (`after`) against the bound, refusing a round that leaves more
/// waiting than allowed. A round that adds nothing to them passes: a copy
/// that was over the bound before it existed must not refuse every round
/// of its document, including the one bringing the missing dependency.
pub fn check_waiting(
    document_id: &str,
    before: Waiting,
    after: Waiting,
) -> Result<(), DomainError> {
    let within = after.changes <= MAX_WAITING_CHANGES && after.bytes <= MAX_WAITING_BYTES;
    let grew = after.changes > before.changes || after.bytes > before.bytes;
    if within || !grew {
        return Ok(());
    }
    Err(DomainError::invalid(
        "TOO_MANY_WAITING_CHANGES",
        "messages",
        format!(
            "document {document_id:?}: {} changes ({} bytes) wait for changes they depend on that \
             were never sent; at most {MAX_WAITING_CHANGES} changes of {MAX_WAITING_BYTES} bytes \
             may wait: send the changes they depend on",
            after.changes, after.bytes
        ),
    ))
}

/// An order draft as an order is made from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftForOrder {
    pub account_id: String,
    /// (SKU, quantity), as the server's copy holds them.
    pub lines: Vec<(String, Decimal)>,
    pub ship_to_id: String,
    pub po_reference: String,
}

/// An order draft's lines as the server holds them: (SKU, quantity).
pub type DraftLines = [(String, Decimal)];

/// Checks that the lines a person confirmed on their device are the lines
/// the server's copy of the draft holds now (in any order). If another
/// device changed the draft since, the person must see it first: the
/// answer names what differs, and nothing is ordered.
pub fn check_confirmed_lines(
    draft: &DraftLines,
    confirmed: &[(String, String)],
) -> Result<(), DomainError> {
    let mut held: Vec<(String, Decimal)> = draft
        .iter()
        .map(|(sku, q)| (sku.trim().to_owned(), q.normalize()))
        .collect();
    held.sort();
    let mut sent = Vec::with_capacity(confirmed.len());
    for (sku, quantity) in confirmed {
        // A quantity that does not parse cannot match; submit names it.
        let Ok(quantity) = quantity.trim().parse::<Decimal>() else {
            return Ok(());
        };
        sent.push((sku.trim().to_owned(), quantity.normalize()));
    }
    sent.sort();
    if held == sent {
        return Ok(());
    }
    let describe = |lines: &[(String, Decimal)]| {
        lines
            .iter()
            .map(|(sku, q)| format!("{sku} × {q}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Err(DomainError::PreconditionFailed {
        reason: "DRAFT_CHANGED",
        violations: vec![FieldViolation::new(
            "lines",
            format!(
                "the draft now holds [{}], not the [{}] confirmed; sync the draft and confirm again",
                describe(&held),
                describe(&sent)
            ),
        )],
    })
}

/// What kind of document it is, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DocumentKind {
    OrderDraft,
    ShoppingList,
    VisitNote,
}

/// What the server keeps about a document besides its automerge bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentRecord {
    pub id: String,
    pub kind: DocumentKind,
    pub account_id: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// Incremental saves are numbered from here (those below were folded
    /// into the full save) ...
    pub first_chunk: u64,
    /// ... up to, not including, this one.
    pub next_chunk: u64,
}

impl DocumentRecord {
    pub fn new(id: String, kind: DocumentKind, account_id: String, now: i64) -> Self {
        Self {
            id,
            kind,
            account_id,
            created_at: now,
            updated_at: now,
            first_chunk: 0,
            next_chunk: 0,
        }
    }

    /// How many incremental saves follow the full save.
    pub fn pending_chunks(&self) -> u64 {
        self.next_chunk - self.first_chunk
    }

    /// Whether the next change should be written as a new full save.
    pub fn due_for_compaction(&self) -> bool {
        self.pending_chunks() + 1 >= u64::from(COMPACT_AFTER)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::CallerKind;

    fn account(id: &str, territory: &str) -> Account {
        Account::for_tests(id, territory)
    }

    fn caller(account_id: Option<&str>, roles: Vec<Role>) -> Caller {
        Caller {
            kind: CallerKind::User,
            id: "usr-1".into(),
            account_id: account_id.map(str::to_owned),
            roles,
            session_id: None,
            on_behalf_of: None,
            assigned_accounts: vec![],
            territories: vec![],
        }
    }

    #[test]
    fn members_sync_their_own_accounts_documents_only() {
        let buyer = caller(Some("acc-1"), vec![Role::Buyer]);
        assert!(may_sync(&buyer, &account("acc-1", "")));
        assert!(!may_sync(&buyer, &account("acc-2", "")));
    }

    #[test]
    fn reps_sync_assigned_and_territory_accounts_and_only_the_one_they_act_for() {
        let mut rep = caller(None, vec![Role::SalesRep]);
        rep.assigned_accounts = vec!["acc-1".into()];
        rep.territories = vec!["north".into()];
        assert!(may_sync(&rep, &account("acc-1", "")));
        assert!(may_sync(&rep, &account("acc-2", "north")));
        assert!(!may_sync(&rep, &account("acc-3", "south")));
        rep.on_behalf_of = Some("acc-1".into());
        assert!(may_sync(&rep, &account("acc-1", "")));
        assert!(!may_sync(&rep, &account("acc-2", "north")));
    }

    #[test]
    fn brand_staff_do_not_see_customers_drafts() {
        let admin = caller(None, vec![Role::BrandAdmin]);
        assert!(!may_sync(&admin, &account("acc-1", "")));
    }

    #[test]
    fn peer_ids_are_checked() {
        assert!(check_peer_id("phone-1.a_b").is_ok());
        for bad in [
            "",
            "has space",
            "slash/no",
            &"x".repeat(MAX_PEER_ID_LEN + 1),
        ] {
            let err = check_peer_id(bad).err();
            assert!(
                matches!(&err, Some(DomainError::InvalidArgument { violations, .. }) if violations[0].field == "peer_id"),
                "{bad:?}: {err:?}"
            );
        }
    }

    #[test]
    fn confirmed_lines_must_be_the_drafts_in_any_order() {
        let draft = vec![
            ("A".to_owned(), Decimal::new(20, 1)),
            ("B".to_owned(), Decimal::from(3)),
        ];
        let same = [
            ("B".to_owned(), "3".to_owned()),
            ("A".to_owned(), "2".to_owned()),
        ];
        assert!(check_confirmed_lines(&draft, &same).is_ok());
        let changed = [
            ("A".to_owned(), "2".to_owned()),
            ("B".to_owned(), "4".to_owned()),
        ];
        let err = check_confirmed_lines(&draft, &changed).err();
        assert!(
            matches!(&err, Some(DomainError::PreconditionFailed { reason: "DRAFT_CHANGED", violations }) if violations[0].description.contains("B × 3")),
            "{err:?}"
        );
        let fewer = [("A".to_owned(), "2".to_owned())];
        assert!(check_confirmed_lines(&draft, &fewer).is_err());
    }

    #[test]
    fn a_stream_keeps_its_device_and_numbers_its_rounds() {
        assert!(check_same_peer("phone", "phone").is_ok());
        assert!(check_same_peer("phone", "").is_ok());
        let err = check_same_peer("phone", "tablet").err();
        assert!(
            matches!(
                &err,
                Some(DomainError::InvalidArgument {
                    reason: "PEER_ID_CHANGED",
                    ..
                })
            ),
            "{err:?}"
        );
        assert!(check_round_number(1).is_ok());
        let err = check_round_number(0).err();
        assert!(
            matches!(
                &err,
                Some(DomainError::InvalidArgument {
                    reason: "ROUND_REQUIRED",
                    ..
                })
            ),
            "{err:?}"
        );
    }

    #[test]
    fn documents_are_listed_for_the_acting_account_or_a_reps_assigned_ones() {
        let buyer = caller(Some("acc-1"), vec![Role::Buyer]);
        assert_eq!(listed_accounts(&buyer), ["acc-1"]);
        let mut rep = caller(None, vec![Role::SalesRep]);
        rep.assigned_accounts = vec!["acc-2".into(), "acc-3".into()];
        assert_eq!(listed_accounts(&rep), ["acc-2", "acc-3"]);
        rep.on_behalf_of = Some("acc-3".into());
        assert_eq!(listed_accounts(&rep), ["acc-3"]);
    }

    #[test]
    fn rounds_are_bounded() {
        assert!(check_round(MAX_DOCUMENTS_PER_ROUND).is_ok());
        assert!(check_round(MAX_DOCUMENTS_PER_ROUND + 1).is_err());
    }

    #[test]
    fn waiting_changes_are_bounded_and_a_round_adding_none_passes() {
        let waiting = |changes, bytes| Waiting { changes, bytes };
        let none = Waiting::default();
        assert!(check_waiting("d", none, waiting(MAX_WAITING_CHANGES, MAX_WAITING_BYTES)).is_ok());
        for over in [
            waiting(MAX_WAITING_CHANGES + 1, 100),
            waiting(10, MAX_WAITING_BYTES + 1),
        ] {
            let err = check_waiting("doc-7", none, over).err();
            assert!(
                matches!(&err, Some(DomainError::InvalidArgument { reason: "TOO_MANY_WAITING_CHANGES", violations })
                    if violations[0].field == "messages" && violations[0].description.contains("\"doc-7\"")),
                "{err:?}"
            );
            assert!(check_waiting("doc-7", over, over).is_ok());
        }
    }

    #[test]
    fn compaction_comes_due_after_the_configured_number_of_chunks() {
        let mut record = DocumentRecord::new("d".into(), DocumentKind::OrderDraft, "a".into(), 0);
        record.next_chunk = u64::from(COMPACT_AFTER) - 2;
        assert!(!record.due_for_compaction());
        record.next_chunk += 1;
        assert!(record.due_for_compaction());
        record.first_chunk = record.next_chunk;
        assert!(!record.due_for_compaction());
    }
}
