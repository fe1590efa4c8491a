//! SyncService on the wire: document rounds (a stream for native clients,
//! unary rounds plus a notice stream for browsers), the document list, and
//! the reference-data feed. The document rules live in `crate::service::documents`
//! and `tradeport_sync`; this only translates and runs the blocking work
//! off the async threads.

use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;
use tokio_stream::wrappers::{BroadcastStream, ReceiverStream};
use tokio_stream::{Stream, StreamExt};
use tonic::{Code, Request, Response, Status, Streaming};
use tradeport_proto::sync::{self as pb, sync_service_server::SyncService};

use super::errors::Failure;
use super::identity::{caller, ts};
use super::open_streams::{OpenStreams, holding};
use crate::service::documents::{Documents, Incoming, Outgoing, PeerSession, Problem};
use crate::service::feed::Feed;
use tradeport_domain::documents::DocumentKind;
use tradeport_domain::identity::Caller;

pub struct SyncApi {
    documents: Arc<Documents>,
    feed: Arc<Feed>,
    /// Sync conversations and document watches open, per caller.
    streams: OpenStreams,
}

impl SyncApi {
    pub fn new(documents: Arc<Documents>, feed: Arc<Feed>) -> Self {
        Self {
            documents,
            feed,
            streams: OpenStreams::default(),
        }
    }

    /// Ends every stream and watch, so a shutdown can drain.
    pub fn end_watches(&self) {
        self.documents.close();
    }
}

fn incoming(messages: Vec<pb::DocumentMessage>) -> Vec<Incoming> {
    messages
        .into_iter()
        .map(|m| Incoming {
            document_id: m.document_id,
            sync_message: m.sync_message,
            document: m.document,
        })
        .collect()
}

fn outgoing(replies: Vec<Outgoing>) -> Vec<pb::DocumentMessage> {
    replies
        .into_iter()
        .map(|o| pb::DocumentMessage {
            problem: o.problem.map(|p| problem_to(&o.document_id, p)),
            document_id: o.document_id,
            sync_message: o.sync_message,
            document: Vec::new(),
        })
        .collect()
}

fn problem_to(document_id: &str, problem: Problem) -> pb::DocumentProblem {
    match problem {
        Problem::NotFound => pb::DocumentProblem {
            code: Code::NotFound as i32,
            reason: "DOCUMENT_NOT_FOUND".into(),
            field: "document_id".into(),
            message: format!("document {document_id} not found"),
        },
        Problem::Invalid { field, message } => pb::DocumentProblem {
            code: Code::InvalidArgument as i32,
            reason: "DOCUMENT_INVALID".into(),
            field,
            message,
        },
    }
}

/// Runs one round of `session` off the async threads: it merges documents
/// and waits for the disk. The session comes back with the answer.
async fn run_round(
    documents: &Arc<Documents>,
    caller: &Caller,
    mut session: PeerSession,
    messages: Vec<pb::DocumentMessage>,
) -> Result<(PeerSession, Vec<pb::DocumentMessage>), Status> {
    let documents = Arc::clone(documents);
    let caller = caller.clone();
    let messages = incoming(messages);
    let (session, replies) = tokio::task::spawn_blocking(move || {
        let replies = documents.round(&caller, &mut session, messages);
        (session, replies)
    })
    .await
    .map_err(|e| Failure::internal(format!("sync round task: {e}")))?;
    let replies = replies.map_err(Failure::from)?;
    Ok((session, outgoing(replies)))
}

type SyncStream = Pin<Box<dyn Stream<Item = Result<pb::SyncDocumentsResponse, Status>> + Send>>;
type WatchStream = Pin<Box<dyn Stream<Item = Result<pb::WatchDocumentsResponse, Status>> + Send>>;

/// How many answers a slow client may leave unread before its stream's
/// rounds wait for it.
const STREAM_BUFFER: usize = 64;

#[tonic::async_trait]
impl SyncService for SyncApi {
    type SyncDocumentsStream = SyncStream;
    type WatchDocumentsStream = WatchStream;

    async fn sync_documents(
        &self,
        request: Request<Streaming<pb::SyncDocumentsRequest>>,
    ) -> Result<Response<Self::SyncDocumentsStream>, Status> {
        let caller = caller(&request)?;
        let permit = self.streams.open(&caller).map_err(Failure::from)?;
        let mut inbound = request.into_inner();
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        let documents = Arc::clone(&self.documents);
        // Subscribed before the first round, so no change made after it
        // is missed.
        let mut changes = documents.subscribe();
        let closed = documents.closed();
        tokio::spawn(async move {
            let _permit = permit;
            tokio::pin!(closed);
            // Begun by the first round, which names the device; it ends
            // with the stream, and what it had in flight with it.
            let mut session: Option<PeerSession> = None;
            loop {
                tokio::select! {
                    _ = &mut closed => break,
                    message = inbound.next() => {
                        let request = match message {
                            Some(Ok(request)) => request,
                            // The client went away or sent garbage: the
                            // stream ends; its state is already durable.
                            Some(Err(_)) | None => break,
                        };
                        let answer = stream_round(&documents, &caller, &mut session, request).await;
                        let failed = answer.is_err();
                        if tx.send(answer).await.is_err() || failed {
                            break;
                        }
                    }
                    change = changes.recv() => {
                        let ids = match (&session, change) {
                            (_, Err(RecvError::Closed)) => break,
                            // No round yet: nothing synced, nothing to push.
                            (None, _) => continue,
                            (Some(current), Err(RecvError::Lagged(_))) => current.to_push(None),
                            (Some(current), Ok(change)) => current.to_push(Some(&change)),
                        };
                        let Some(current) = session.take() else {
                            continue;
                        };
                        match push(&documents, &caller, current, ids, &tx).await {
                            Ok(current) => session = Some(current),
                            Err(()) => break,
                        }
                    }
                }
            }
        });
        // Answers still buffered at shutdown are dropped for the notice:
        // each round's changes are durable, and the next sync resends them.
        let answers =
            super::watch::until_shutdown(ReceiverStream::new(rx), self.documents.closed());
        Ok(Response::new(Box::pin(answers)))
    }

    async fn sync_round(
        &self,
        request: Request<pb::SyncRoundRequest>,
    ) -> Result<Response<pb::SyncRoundResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let session = PeerSession::new(&caller, &r.peer_id);
        let (_, messages) = run_round(&self.documents, &caller, session, r.messages).await?;
        Ok(Response::new(pb::SyncRoundResponse { messages }))
    }

    async fn watch_documents(
        &self,
        request: Request<pb::WatchDocumentsRequest>,
    ) -> Result<Response<Self::WatchDocumentsStream>, Status> {
        let caller = caller(&request)?;
        let permit = self.streams.open(&caller).map_err(Failure::from)?;
        let documents = Arc::clone(&self.documents);
        let notices =
            BroadcastStream::new(self.documents.subscribe()).filter_map(
                move |change| match change {
                    Ok(change) => match documents.may_see(&caller, &change.account_id) {
                        Ok(true) => Some(Ok(pb::WatchDocumentsResponse {
                            document_id: change.document_id,
                            account_id: change.account_id,
                            changed_at: ts(change.at),
                        })),
                        Ok(false) => None,
                        Err(e) => Some(Err(Failure::from(e).into())),
                    },
                    Err(_lagged) => Some(Err(Failure::from(
                        tradeport_domain::DomainError::precondition(
                            "WATCH_LAGGED",
                            "this watch fell behind; list the documents, sync them and watch again",
                        ),
                    )
                    .into())),
                },
            );
        let stream = super::watch::until_shutdown(notices, self.documents.closed());
        Ok(Response::new(Box::pin(holding(stream, permit))))
    }

    async fn list_documents(
        &self,
        request: Request<pb::ListDocumentsRequest>,
    ) -> Result<Response<pb::ListDocumentsResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let (documents, next_page_token) = self
            .documents
            .list(&caller, r.page_size, &r.page_token)
            .map_err(Failure::from)?;
        Ok(Response::new(pb::ListDocumentsResponse {
            documents: documents
                .into_iter()
                .map(|d| pb::DocumentSummary {
                    document_id: d.document_id,
                    account_id: d.account_id,
                    kind: kind_to(d.kind) as i32,
                    updated_at: ts(d.updated_at),
                })
                .collect(),
            next_page_token,
        }))
    }

    async fn pull_reference_data(
        &self,
        request: Request<pb::PullReferenceDataRequest>,
    ) -> Result<Response<pb::PullReferenceDataResponse>, Status> {
        let caller = caller(&request)?;
        let page =
            super::feed::pull_reference_data(&self.feed, &caller, request.into_inner()).await?;
        Ok(Response::new(page))
    }
}

fn kind_to(kind: DocumentKind) -> pb::DocumentKind {
    match kind {
        DocumentKind::OrderDraft => pb::DocumentKind::OrderDraft,
        DocumentKind::ShoppingList => pb::DocumentKind::ShoppingList,
        DocumentKind::VisitNote => pb::DocumentKind::VisitNote,
    }
}

/// One round of the stream (see `PeerSession::next_round`).
async fn stream_round(
    documents: &Arc<Documents>,
    caller: &Caller,
    session: &mut Option<PeerSession>,
    request: pb::SyncDocumentsRequest,
) -> Result<pb::SyncDocumentsResponse, Status> {
    let current = PeerSession::next_round(session.take(), caller, &request.peer_id, request.round)
        .map_err(Failure::from)?;
    let (current, messages) = run_round(documents, caller, current, request.messages).await?;
    *session = Some(current);
    Ok(pb::SyncDocumentsResponse {
        round: request.round,
        messages,
    })
}

/// Pushes to this stream's device the next message of each of `ids` that
/// needs one, and hands the session back; `Err` ends the stream (its
/// device went away, or the session was lost with a failed task).
async fn push(
    documents: &Arc<Documents>,
    caller: &Caller,
    mut session: PeerSession,
    ids: Vec<String>,
    tx: &mpsc::Sender<Result<pb::SyncDocumentsResponse, Status>>,
) -> Result<PeerSession, ()> {
    if ids.is_empty() {
        return Ok(session);
    }
    let made = {
        let documents = Arc::clone(documents);
        let caller = caller.clone();
        tokio::task::spawn_blocking(move || {
            let messages: Vec<_> = ids
                .into_iter()
                .map(|id| {
                    let message = documents.push_for(&caller, &mut session, &id);
                    (id, message)
                })
                .collect();
            (session, messages)
        })
        .await
    };
    let (session, messages) = match made {
        Ok(made) => made,
        Err(e) => {
            tracing::warn!(error = %e, "the push task failed");
            return Err(());
        }
    };
    for (document_id, message) in messages {
        let message = match message {
            Ok(Some(message)) => message,
            Ok(None) => continue,
            Err(e) => {
                tracing::warn!(error = %e, document_id, "pushing a document change failed");
                continue;
            }
        };
        tx.send(Ok(pb::SyncDocumentsResponse {
            round: 0,
            messages: vec![pb::DocumentMessage {
                document_id,
                sync_message: message,
                document: Vec::new(),
                problem: None,
            }],
        }))
        .await
        .map_err(|_| ())?;
    }
    Ok(session)
}
