//! Typed records over the raw store: read a record together with the bytes
//! it was read from (so a commit can expect exactly that version), and add
//! encoded records to a commit.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Commit, KeyRange, Store, StoreError, decode, encode};

/// A record as read, with the exact bytes a later commit can expect.
#[derive(Debug, Clone)]
pub struct Versioned<T> {
    pub value: T,
    pub raw: Vec<u8>,
}

pub fn get<T: DeserializeOwned>(
    store: &dyn Store,
    key: &str,
) -> Result<Option<Versioned<T>>, StoreError> {
    let Some(raw) = store.get(key.as_bytes())? else {
        return Ok(None);
    };
    Ok(Some(Versioned {
        value: decode(key.as_bytes(), &raw)?,
        raw,
    }))
}

pub fn get_value<T: DeserializeOwned>(
    store: &dyn Store,
    key: &str,
) -> Result<Option<T>, StoreError> {
    Ok(get(store, key)?.map(|v| v.value))
}

/// Up to `limit` records under `prefix`, after the key `after` if given.
pub fn scan<T: DeserializeOwned>(
    store: &dyn Store,
    prefix: &str,
    after: Option<&[u8]>,
    limit: usize,
) -> Result<Vec<(Vec<u8>, T)>, StoreError> {
    let range = match after {
        Some(after) => KeyRange::prefix_after(prefix.as_bytes(), after),
        None => KeyRange::prefix(prefix.as_bytes()),
    };
    store
        .scan(range, limit)?
        .into_iter()
        .map(|(k, v)| {
            let value = decode(&k, &v)?;
            Ok((k, value))
        })
        .collect()
}

impl Commit {
    pub fn put_record<T: Serialize>(self, key: &str, value: &T) -> Result<Self, StoreError> {
        let bytes = encode(key.as_bytes(), value)?;
        Ok(self.put(key, bytes))
    }

    /// Fails the commit unless `key` still holds what `read` was read from.
    pub fn expect_version<T>(self, key: &str, read: &Versioned<T>) -> Self {
        self.expect(key, Some(read.raw.clone()))
    }

    pub fn expect_absent(self, key: &str) -> Self {
        self.expect(key, None)
    }
}
