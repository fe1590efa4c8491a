//! Bulk data in and out as CSV: the catalog, price lists and stock levels.
//! Each kind has its columns (documented once, in [`Column`] tables that
//! the templates, the import and the export all read), a row parser that
//! names the line, column and reason of every problem, and a row writer
//! for the export — so an export can be edited and imported back as is.
//!
//! Files are read record by record; a rejected row never stops the rows
//! after it from being checked, so one upload reports every problem.

pub mod prices;
pub mod products;
pub mod stock;

use std::collections::HashMap;

use rust_decimal::Decimal;

use crate::decimal::parse_decimal;

/// Row problems reported in full; past this only the count goes on.
pub const MAX_REPORTED_ERRORS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Catalog,
    Prices,
    Stock,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ImportMode {
    /// Check every row, change nothing.
    DryRun,
    /// Apply every row in one step, or nothing if any row is rejected.
    AllOrNothing,
    /// Apply the accepted rows in one step; report the rejected ones.
    ValidRows,
}

/// One problem with one row: where, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RowError {
    /// 1-based line in the file (the header is line 1).
    pub line: u64,
    /// The column's header name; empty for a problem with the whole row.
    pub column: String,
    pub reason: String,
}

/// What an import did, or (in a dry run) would do.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct ImportReport {
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_rejected: u64,
    /// Whether the store changed.
    pub applied: bool,
    /// The first [`MAX_REPORTED_ERRORS`] problems, in file order.
    pub errors: Vec<RowError>,
}

impl ImportReport {
    pub fn reject(&mut self, errors: Vec<RowError>) {
        self.rows_rejected += 1;
        let room = MAX_REPORTED_ERRORS.saturating_sub(self.errors.len());
        self.errors.extend(errors.into_iter().take(room));
    }

    /// Whether, in `mode`, accepted rows are to be written.
    pub fn should_apply(&self, mode: ImportMode) -> bool {
        match mode {
            ImportMode::DryRun => false,
            ImportMode::AllOrNothing => self.rows_rejected == 0 && self.rows_accepted > 0,
            ImportMode::ValidRows => self.rows_accepted > 0,
        }
    }
}

/// A column of an import format.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub required: bool,
    pub description: &'static str,
    pub example: &'static str,
}

/// A column, for the formats' tables.
pub const fn column(
    name: &'static str,
    required: bool,
    description: &'static str,
    example: &'static str,
) -> Column {
    Column {
        name,
        required,
        description,
        example,
    }
}

/// A template: the header, one example row, and what each column means.
pub fn template(columns: &[Column]) -> (String, Vec<Column>) {
    let mut out = csv::Writer::from_writer(Vec::new());
    let csv = out
        .write_record(columns.iter().map(|c| c.name))
        .and_then(|()| out.write_record(columns.iter().map(|c| c.example)))
        .map_err(|e| e.to_string())
        .and_then(|()| out.into_inner().map_err(|e| e.to_string()))
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        // Writing to memory cannot fail; an empty template says so if it did.
        .unwrap_or_default();
    (csv, columns.to_vec())
}

/// The header of an uploaded file mapped onto a format's columns.
#[derive(Debug)]
pub struct Header {
    positions: HashMap<&'static str, usize>,
}

impl Header {
    /// Matches header names to `columns` (case and surrounding spaces
    /// ignored); a missing required column or an unknown one is an error
    /// on line 1, since every row would fail the same way.
    pub fn read(record: &csv::StringRecord, columns: &[Column]) -> Result<Self, Vec<RowError>> {
        let mut positions = HashMap::new();
        let mut errors = Vec::new();
        for (i, name) in record.iter().enumerate() {
            let name = name.trim().trim_start_matches('\u{feff}');
            match columns.iter().find(|c| c.name.eq_ignore_ascii_case(name)) {
                Some(c) if positions.insert(c.name, i).is_some() => errors.push(RowError {
                    line: 1,
                    column: c.name.into(),
                    reason: "appears twice in the header".into(),
                }),
                Some(_) => {}
                None => errors.push(RowError {
                    line: 1,
                    column: name.into(),
                    reason: format!(
                        "unknown column; the columns are {}",
                        columns
                            .iter()
                            .map(|c| c.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }),
            }
        }
        for c in columns.iter().filter(|c| c.required) {
            if !positions.contains_key(c.name) {
                errors.push(RowError {
                    line: 1,
                    column: c.name.into(),
                    reason: "required column is missing".into(),
                });
            }
        }
        if errors.is_empty() {
            Ok(Self { positions })
        } else {
            Err(errors)
        }
    }
}

/// One data row being read, collecting its problems.
pub struct Row<'a> {
    header: &'a Header,
    record: &'a csv::StringRecord,
    pub line: u64,
    pub errors: Vec<RowError>,
}

impl<'a> Row<'a> {
    pub fn new(header: &'a Header, record: &'a csv::StringRecord) -> Self {
        Self {
            header,
            record,
            line: record.position().map_or(0, |p| p.line()),
            errors: Vec::new(),
        }
    }

    /// The trimmed value of `column`, empty if absent.
    pub fn text(&self, column: &str) -> &'a str {
        self.header
            .positions
            .get(column)
            .and_then(|&i| self.record.get(i))
            .map_or("", str::trim)
    }

    pub fn error(&mut self, column: &str, reason: impl Into<String>) {
        self.errors.push(RowError {
            line: self.line,
            column: column.into(),
            reason: reason.into(),
        });
    }

    /// A required text value.
    pub fn required(&mut self, column: &str) -> String {
        let value = self.text(column);
        if value.is_empty() {
            self.error(column, "is required");
        }
        value.to_string()
    }

    pub fn decimal(&mut self, column: &str) -> Option<Decimal> {
        let raw = self.text(column);
        if raw.is_empty() {
            return None;
        }
        match parse_decimal(column, raw) {
            Ok(d) => Some(d),
            Err(_) => {
                self.error(
                    column,
                    format!("{raw:?} is not a decimal number like \"12.50\""),
                );
                None
            }
        }
    }

    pub fn required_decimal(&mut self, column: &str) -> Decimal {
        if self.text(column).is_empty() {
            self.error(column, "is required");
            return Decimal::ZERO;
        }
        self.decimal(column).unwrap_or_default()
    }

    /// `|`-separated values, empty items dropped.
    pub fn list(&self, column: &str) -> Vec<&'a str> {
        self.text(column)
            .split('|')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    }
}

/// Passes CSV bytes through with line ends made `\n` and each blank line
/// outside quotes turned into a line holding one comma. The csv reader
/// counts lines at `\n` but starts a record after a `\r`, and drops blank
/// lines while reporting the next record on the blank one: both put line
/// numbers off by one. With plain `\n` ends and a line of empty fields in
/// place of each blank line (which [`read_rows`] skips), every record keeps
/// its own line number. Memory stays one read's worth.
struct LineEnds<R> {
    inner: R,
    in_quotes: bool,
    at_line_start: bool,
    pending_cr: bool,
    done: bool,
    out: std::collections::VecDeque<u8>,
}

impl<R> LineEnds<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            in_quotes: false,
            at_line_start: true,
            pending_cr: false,
            done: false,
            out: std::collections::VecDeque::new(),
        }
    }

    /// Queues one byte that is not `\r`.
    fn push(&mut self, b: u8) {
        if b == b'\n' && self.at_line_start && !self.in_quotes {
            self.out.push_back(b',');
        }
        self.out.push_back(b);
        match b {
            b'"' => self.in_quotes = !self.in_quotes,
            b'\n' => self.at_line_start = true,
            _ => self.at_line_start = false,
        }
    }
}

impl<R: std::io::Read> std::io::Read for LineEnds<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut scratch = [0u8; 8192];
        while self.out.is_empty() && !self.done {
            let n = self.inner.read(&mut scratch)?;
            if n == 0 {
                self.done = true;
                if std::mem::take(&mut self.pending_cr) {
                    self.push(b'\n');
                }
            }
            for &b in &scratch[..n] {
                if std::mem::take(&mut self.pending_cr) && b != b'\n' {
                    self.push(b'\n');
                }
                if b == b'\r' {
                    self.pending_cr = true;
                } else {
                    self.push(b);
                }
            }
        }
        let n = buf.len().min(self.out.len());
        for (slot, b) in buf.iter_mut().zip(self.out.drain(..n)) {
            *slot = b;
        }
        Ok(n)
    }
}

/// Why reading an upload stopped before its end.
#[derive(Debug, thiserror::Error)]
#[error("the upload broke off: {0}")]
pub struct Interrupted(pub std::io::Error);

/// Reads every record of `input` — any reader, e.g. an upload as it
/// streams in, never held whole — checking the header against `columns`
/// and handing each data row to `accept`, which returns whether it took
/// the row. Malformed CSV rejects its row only; a broken input stops all.
pub fn read_rows<R: std::io::Read>(
    input: R,
    columns: &[Column],
    mut accept: impl FnMut(&mut Row<'_>) -> bool,
) -> Result<ImportReport, Interrupted> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(LineEnds::new(input));
    let mut report = ImportReport::default();
    let mut record = csv::StringRecord::new();
    let mut header: Option<Header> = None;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                let reason = format!("not readable as CSV: {e}");
                if let csv::ErrorKind::Io(io) = e.into_kind() {
                    return Err(Interrupted(io));
                }
                report.rows_read += 1;
                report.reject(vec![RowError {
                    line,
                    column: String::new(),
                    reason,
                }]);
                continue;
            }
        }
        let Some(columns_of_file) = &header else {
            match Header::read(&record, columns) {
                Ok(h) => header = Some(h),
                Err(errors) => {
                    report.errors = errors;
                    return Ok(report);
                }
            }
            continue;
        };
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        report.rows_read += 1;
        let mut row = Row::new(columns_of_file, &record);
        if accept(&mut row) {
            report.rows_accepted += 1;
        } else {
            if row.errors.is_empty() {
                row.error("", "rejected");
            }
            report.reject(row.errors);
        }
    }
    if header.is_none() {
        report.errors.push(RowError {
            line: 1,
            column: String::new(),
            reason: "the file is empty: it needs a header line".into(),
        });
    }
    Ok(report)
}

/// A buffer the CSV writer fills and the chunk writer empties.
#[derive(Clone, Default)]
struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Shared {
    fn with<T>(&self, f: impl FnOnce(&mut Vec<u8>) -> T) -> T {
        match self.0.lock() {
            Ok(mut guard) => f(&mut guard),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }
}

impl std::io::Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.with(|v| v.extend_from_slice(buf));
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Writes rows as CSV into chunks of about `chunk_bytes`, for streaming.
pub struct ChunkWriter {
    writer: csv::Writer<Shared>,
    buffer: Shared,
    chunk_bytes: usize,
}

impl ChunkWriter {
    pub fn new(columns: &[Column], chunk_bytes: usize) -> Result<Self, csv::Error> {
        let buffer = Shared::default();
        let mut writer = csv::Writer::from_writer(buffer.clone());
        writer.write_record(columns.iter().map(|c| c.name))?;
        Ok(Self {
            writer,
            buffer,
            chunk_bytes,
        })
    }

    /// Adds a row; returns a full chunk when one is ready.
    pub fn row<I, T>(&mut self, fields: I) -> Result<Option<Vec<u8>>, csv::Error>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.writer.write_record(fields)?;
        self.writer.flush()?;
        let chunk_bytes = self.chunk_bytes;
        Ok(self
            .buffer
            .with(|v| (v.len() >= chunk_bytes).then(|| std::mem::take(v))))
    }

    /// What is left.
    pub fn finish(mut self) -> Result<Vec<u8>, csv::Error> {
        self.writer.flush()?;
        Ok(self.buffer.with(std::mem::take))
    }
}

#[cfg(test)]
#[path = "bulk_tests.rs"]
mod tests;
