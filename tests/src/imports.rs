//! Bulk imports as an ERP streams them: a header naming the kind and the
//! mode, then the file in chunks cut anywhere (inside a row or a
//! character), and the header line of a price-list file.

use tradeport_mobile::Client;
use tradeport_proto::catalog::import_data_request::Part;
use tradeport_proto::catalog::{
    DataKind, ImportDataRequest, ImportDataResponse, ImportHeader, ImportMode,
};

use crate::clients::bulk;

/// The columns of a price-list file.
pub const PRICES_HEADER: &str =
    "price_list_id,price_list_name,currency,scope,sku,min_quantity,unit_price";

/// The messages of one upload: the header, then `file` in chunks of
/// `chunk` bytes.
pub fn upload(
    kind: DataKind,
    mode: ImportMode,
    request_id: &str,
    file: &[u8],
    chunk: usize,
) -> Vec<ImportDataRequest> {
    let mut parts = vec![ImportDataRequest {
        part: Some(Part::Header(ImportHeader {
            kind: kind as i32,
            mode: mode as i32,
            request_id: request_id.into(),
        })),
    }];
    parts.extend(file.chunks(chunk.max(1)).map(|c| ImportDataRequest {
        part: Some(Part::Chunk(c.to_vec())),
    }));
    parts
}

/// Uploads `file` as `client` in chunks of `chunk` bytes and returns the
/// import's report.
pub async fn import(
    client: &Client,
    kind: DataKind,
    mode: ImportMode,
    request_id: &str,
    file: &[u8],
    chunk: usize,
) -> Result<ImportDataResponse, tonic::Status> {
    let parts = upload(kind, mode, request_id, file, chunk);
    bulk(client)
        .import_data(tokio_stream::iter(parts))
        .await
        .map(|r| r.into_inner())
}

/// Imports the price-list `rows` (below [`PRICES_HEADER`]) all or nothing,
/// in one chunk, and expects them applied.
pub async fn import_prices(client: &Client, rows: &str) -> ImportDataResponse {
    let file = format!("{PRICES_HEADER}\n{rows}");
    let report = import(
        client,
        DataKind::Prices,
        ImportMode::AllOrNothing,
        "",
        file.as_bytes(),
        file.len(),
    )
    .await
    .unwrap_or_else(|e| panic!("importing prices: {e:?}"));
    assert!(report.applied, "{report:?}");
    report
}
