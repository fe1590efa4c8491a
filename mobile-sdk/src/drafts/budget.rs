//! How many rounds a draft sync may take before it is stopped as one that
//! does not converge, and why that many: a bound that grows with the
//! documents synced, so a large honest sync is never cut short.

use tradeport_proto::sync as pb;
use tradeport_sync::MAX_DOCUMENTS_PER_ROUND;

use crate::client::Error;

/// The rounds a sync may take per round's worth of documents
/// ([`MAX_DOCUMENTS_PER_ROUND`]). Up to that many documents travel
/// together, one message each per round, so a clean exchange takes the
/// same few rounds for one document or two hundred: two for offline edits
/// on both sides (heads and summaries out, each side's missing changes
/// across, acknowledged), one or two more when a bloom filter's false
/// positive makes a side ask for a change by hash. More documents than a
/// round holds take their turns, so each further round's worth adds those
/// few rounds again (1,000 documents: five times as many). 64 is some
/// twenty times that: a sync still going then is not going to end.
const BASE_ROUNDS: u64 = 64;

/// The rounds added per document synced. What lengthens a sync that does
/// converge is other devices changing its documents meanwhile: each
/// change the server pushes costs its document about two more messages,
/// at worst two more rounds, and the more documents a sync holds, the
/// more such changes can come in.
const ROUNDS_PER_DOCUMENT: u64 = 2;

/// Counts a sync's rounds and stops it when it has taken so many that it is
/// not converging: the two sides trading messages whose heads never meet,
/// or other devices changing the documents faster than this one syncs.
/// Either way going on is worse than stopping with what was received so
/// far, and the next sync starts a fresh exchange.
#[derive(Debug, Default)]
pub(super) struct RoundBudget {
    taken: u64,
}

impl RoundBudget {
    pub(super) fn limit(documents: usize) -> u64 {
        let turns = documents.div_ceil(MAX_DOCUMENTS_PER_ROUND).max(1) as u64;
        BASE_ROUNDS
            .saturating_mul(turns)
            .saturating_add(ROUNDS_PER_DOCUMENT.saturating_mul(documents as u64))
    }

    /// Takes one more round for `messages`, of a sync holding `documents`
    /// documents, or says which documents have not settled.
    pub(super) fn take(
        &mut self,
        documents: usize,
        messages: &[pb::DocumentMessage],
    ) -> Result<(), Error> {
        if self.taken >= Self::limit(documents) {
            let mut unsettled: Vec<String> =
                messages.iter().map(|m| m.document_id.clone()).collect();
            unsettled.sort();
            unsettled.dedup();
            return Err(Error::SyncUnsettled {
                rounds: self.taken,
                documents: unsettled,
            });
        }
        self.taken += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: &str) -> pb::DocumentMessage {
        pb::DocumentMessage {
            document_id: id.into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_sync_that_does_not_settle_is_stopped_naming_its_documents() {
        let documents = 3;
        let limit = RoundBudget::limit(documents);
        assert!(limit >= BASE_ROUNDS + 6, "{limit}");
        let mut budget = RoundBudget::default();
        let round = [message("b"), message("a"), message("b")];
        for _ in 0..limit {
            assert!(budget.take(documents, &round).is_ok());
        }
        match budget.take(documents, &round) {
            Err(Error::SyncUnsettled { rounds, documents }) => {
                assert_eq!(rounds, limit);
                assert_eq!(documents, ["a", "b"]);
            }
            other => panic!("the round after the limit must be refused: {other:?}"),
        }
    }

    #[test]
    fn more_documents_may_take_more_rounds() {
        assert_eq!(RoundBudget::limit(0), BASE_ROUNDS);
        assert!(RoundBudget::limit(100) > RoundBudget::limit(1));
        assert!(RoundBudget::limit(usize::MAX) >= RoundBudget::limit(100));
    }

    #[test]
    fn documents_taking_turns_get_the_base_rounds_for_each_turn() {
        // 1,000 documents go in five turns of a round's worth: each turn's
        // clean exchange needs what one round's worth needs alone.
        let documents = 5 * MAX_DOCUMENTS_PER_ROUND;
        assert!(RoundBudget::limit(documents) >= 5 * BASE_ROUNDS);
        assert!(
            RoundBudget::limit(MAX_DOCUMENTS_PER_ROUND + 1)
                > RoundBudget::limit(MAX_DOCUMENTS_PER_ROUND) + BASE_ROUNDS
        );
    }
}
