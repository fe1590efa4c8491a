//! One open `SyncService.SyncDocuments` stream: sending a round and waiting
//! for its answer, with the pushes of other devices' changes that arrive
//! meanwhile, and waiting for pushes between rounds.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Code, Request, Status};
use tradeport_proto::sync::{self as pb, sync_service_client::SyncServiceClient};

use crate::client::{AuthorizedChannel, Client, Error};

/// A round's answer takes at most this long before the sync gives up
/// (the stream is then dropped and the next sync starts afresh).
const ROUND_TIMEOUT: Duration = Duration::from_secs(30);

/// One open `SyncDocuments` stream.
pub(super) struct Session {
    requests: mpsc::Sender<pb::SyncDocumentsRequest>,
    responses: tonic::Streaming<pb::SyncDocumentsResponse>,
    peer_id: String,
    round: u64,
}

impl Session {
    pub(super) async fn open(client: &Client, peer_id: &str) -> Result<Self, Error> {
        let (requests, rx) = mpsc::channel(16);
        let mut service: SyncServiceClient<AuthorizedChannel> =
            SyncServiceClient::new(client.authorized_channel());
        let responses = service
            .sync_documents(Request::new(ReceiverStream::new(rx)))
            .await?
            .into_inner();
        Ok(Self {
            requests,
            responses,
            peer_id: peer_id.to_owned(),
            round: 0,
        })
    }

    /// Sends one round and waits for its answer; pushes that arrive first
    /// are returned too, to be applied before the answer.
    pub(super) async fn round(
        &mut self,
        messages: Vec<pb::DocumentMessage>,
    ) -> Result<(Vec<pb::DocumentMessage>, Vec<Vec<pb::DocumentMessage>>), Error> {
        self.round += 1;
        let request = pb::SyncDocumentsRequest {
            peer_id: if self.round == 1 {
                self.peer_id.clone()
            } else {
                String::new()
            },
            round: self.round,
            messages,
        };
        self.requests
            .send(request)
            .await
            .map_err(|_| Status::unavailable("the sync stream closed"))?;
        let mut pushed = Vec::new();
        loop {
            let next = tokio::time::timeout(ROUND_TIMEOUT, self.responses.next())
                .await
                .map_err(|_| Status::deadline_exceeded("the server did not answer a sync round"))?;
            match next {
                Some(Ok(response)) if response.round == self.round => {
                    return Ok((response.messages, pushed));
                }
                Some(Ok(response)) => pushed.push(response.messages),
                Some(Err(status)) => return Err(status.into()),
                None => return Err(Status::new(Code::Unavailable, "the sync stream ended").into()),
            }
        }
    }

    /// The next push, or `None` when the server ended the stream.
    pub(super) async fn next_push(&mut self) -> Result<Option<Vec<pb::DocumentMessage>>, Error> {
        match self.responses.next().await {
            Some(Ok(response)) => Ok(Some(response.messages)),
            Some(Err(status)) => Err(status.into()),
            None => Ok(None),
        }
    }
}
