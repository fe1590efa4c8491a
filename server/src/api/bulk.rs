//! CatalogBulkService on the wire: CSV imports arrive as a client stream
//! and are read as they arrive (the file is never buffered whole); exports
//! leave as a server stream of chunks. The reading and writing run on
//! blocking threads, fed through bounded channels, so a slow client slows
//! its own import and nobody else's. What is imported, exported and who
//! may is the catalog manager's use cases' (`CatalogManager`).

use std::io::Read;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};
use tradeport_proto::catalog::catalog_bulk_service_server::CatalogBulkService;
use tradeport_proto::catalog::{self as pb, import_data_request::Part};

use super::errors::Failure;
use super::identity::caller;
use crate::service::catalog::Catalog;
use crate::service::identity::Identity;
use crate::service::inventory::Inventory;
use tradeport_domain::DomainError;
use tradeport_domain::bulk::{ImportKind, ImportMode, ImportReport};

/// Chunks of an upload waiting to be read.
const UPLOAD_BUFFERED: usize = 16;
/// Export chunks waiting to be sent.
const EXPORT_BUFFERED: usize = 8;

pub struct CatalogBulkApi {
    catalog: Arc<Catalog>,
    identity: Arc<Identity>,
    inventory: Arc<Inventory>,
}

impl CatalogBulkApi {
    pub fn new(catalog: Arc<Catalog>, identity: Arc<Identity>, inventory: Arc<Inventory>) -> Self {
        Self {
            catalog,
            identity,
            inventory,
        }
    }
}

/// Reads the bytes of an upload as the async side receives them.
struct Upload {
    chunks: mpsc::Receiver<Result<Bytes, std::io::Error>>,
    current: Bytes,
}

impl Read for Upload {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.blocking_recv() {
                Some(chunk) => self.current = chunk?,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

fn kind(raw: i32, field: &str) -> Result<ImportKind, Status> {
    match pb::DataKind::try_from(raw) {
        Ok(pb::DataKind::Catalog) => Ok(ImportKind::Catalog),
        Ok(pb::DataKind::Prices) => Ok(ImportKind::Prices),
        Ok(pb::DataKind::Stock) => Ok(ImportKind::Stock),
        Ok(pb::DataKind::Unspecified) | Err(_) => Err(Failure::from(DomainError::invalid(
            "INVALID_DATA_KIND",
            field,
            "give CATALOG, PRICES or STOCK",
        ))
        .into()),
    }
}

fn report_to(report: ImportReport) -> pb::ImportDataResponse {
    pb::ImportDataResponse {
        rows_read: report.rows_read,
        rows_accepted: report.rows_accepted,
        rows_rejected: report.rows_rejected,
        applied: report.applied,
        errors: report
            .errors
            .into_iter()
            .map(|e| pb::RowError {
                line: e.line,
                column: e.column,
                reason: e.reason,
            })
            .collect(),
    }
}

type ExportStream = Pin<Box<dyn Stream<Item = Result<pb::ExportDataResponse, Status>> + Send>>;

#[tonic::async_trait]
impl CatalogBulkService for CatalogBulkApi {
    async fn import_data(
        &self,
        request: Request<Streaming<pb::ImportDataRequest>>,
    ) -> Result<Response<pb::ImportDataResponse>, Status> {
        let manager = self.catalog.manager(&caller(&request)?)?;
        let mut parts = request.into_inner();
        let header = match parts.message().await?.and_then(|m| m.part) {
            Some(Part::Header(header)) => header,
            _ => {
                return Err(Failure::from(DomainError::invalid(
                    "IMPORT_HEADER_REQUIRED",
                    "header",
                    "the first message must carry the header",
                ))
                .into());
            }
        };
        let kind = kind(header.kind, "header.kind")?;
        let mode = match pb::ImportMode::try_from(header.mode) {
            Ok(pb::ImportMode::DryRun) => ImportMode::DryRun,
            Ok(pb::ImportMode::AllOrNothing) => ImportMode::AllOrNothing,
            Ok(pb::ImportMode::ValidRows) => ImportMode::ValidRows,
            _ => {
                return Err(Failure::from(DomainError::invalid(
                    "INVALID_IMPORT_MODE",
                    "header.mode",
                    "give DRY_RUN, ALL_OR_NOTHING or VALID_ROWS",
                ))
                .into());
            }
        };
        let (tx, rx) = mpsc::channel(UPLOAD_BUFFERED);
        // How the upload itself failed on the way in (a chunk over the
        // message limit, bytes that are not a message): that is the answer
        // to give, not the interruption it causes the reader. Set before
        // the reader hears of the failure.
        let upload_failure = Arc::new(parking_lot::Mutex::new(None::<Status>));
        let failed_with = Arc::clone(&upload_failure);
        let feeding = tokio::spawn(async move {
            loop {
                let next = match parts.message().await {
                    Ok(Some(pb::ImportDataRequest {
                        part: Some(Part::Chunk(chunk)),
                    })) => Ok(Bytes::from(chunk)),
                    Ok(Some(_)) => Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "a second header after the first",
                    )),
                    Ok(None) => break,
                    Err(status) => {
                        let message = status.message().to_string();
                        *failed_with.lock() = Some(status);
                        Err(std::io::Error::other(message))
                    }
                };
                let failed = next.is_err();
                // The reader gone means the import ended early: stop.
                if tx.send(next).await.is_err() || failed {
                    break;
                }
            }
        });
        let upload = Upload {
            chunks: rx,
            current: Bytes::new(),
        };
        let (identity, inventory) = (Arc::clone(&self.identity), Arc::clone(&self.inventory));
        let request_id = header.request_id;
        let imported = tokio::task::spawn_blocking(move || {
            manager.import(kind, mode, &request_id, upload, &identity, &inventory)
        })
        .await
        .map_err(|e| Failure::internal(format!("import task: {e}")))?;
        feeding.abort();
        match imported {
            Ok(report) => Ok(Response::new(report_to(report))),
            Err(error) => Err(upload_failure
                .lock()
                .take()
                .unwrap_or_else(|| Status::from(error))),
        }
    }

    type ExportDataStream = ExportStream;

    async fn export_data(
        &self,
        request: Request<pb::ExportDataRequest>,
    ) -> Result<Response<Self::ExportDataStream>, Status> {
        let manager = self.catalog.manager(&caller(&request)?)?;
        let kind = kind(request.into_inner().kind, "kind")?;
        let (tx, rx) = mpsc::channel::<Result<pb::ExportDataResponse, Status>>(EXPORT_BUFFERED);
        let inventory = Arc::clone(&self.inventory);
        tokio::task::spawn_blocking(move || {
            let send = |chunk: Vec<u8>| {
                // The caller gone: stop writing.
                tx.blocking_send(Ok(pb::ExportDataResponse { chunk }))
                    .is_ok()
            };
            if let Err(error) = manager.export(kind, &inventory, send) {
                let _ = tx.blocking_send(Err(error.into()));
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn get_import_template(
        &self,
        request: Request<pb::GetImportTemplateRequest>,
    ) -> Result<Response<pb::GetImportTemplateResponse>, Status> {
        let manager = self.catalog.manager(&caller(&request)?)?;
        let kind = kind(request.into_inner().kind, "kind")?;
        let (csv, columns) = manager.template(kind);
        Ok(Response::new(pb::GetImportTemplateResponse {
            csv,
            columns: columns
                .into_iter()
                .map(|c| pb::TemplateColumn {
                    name: c.name.into(),
                    required: c.required,
                    description: c.description.into(),
                })
                .collect(),
        }))
    }
}
