//! Record encoding. Records are CBOR maps keyed by field name, so a newer
//! build can add fields (read back with `#[serde(default)]`) and an older
//! one ignores fields it does not know: the encoding evolves without
//! rewriting the store. Never encode positionally here.

use serde::{Serialize, de::DeserializeOwned};

use super::StoreError;

pub fn encode<T: Serialize>(key: &[u8], value: &T) -> Result<Vec<u8>, StoreError> {
    let mut out = Vec::with_capacity(256);
    ciborium::into_writer(value, &mut out).map_err(|e| StoreError::Corrupt {
        key: String::from_utf8_lossy(key).into_owned(),
        reason: e.to_string(),
    })?;
    Ok(out)
}

pub fn decode<T: DeserializeOwned>(key: &[u8], bytes: &[u8]) -> Result<T, StoreError> {
    ciborium::from_reader(bytes).map_err(|e| StoreError::Corrupt {
        key: String::from_utf8_lossy(key).into_owned(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Serialize)]
    struct V1 {
        id: String,
        removed_later: u32,
    }

    #[derive(Deserialize, Debug)]
    struct V2 {
        id: String,
        #[serde(default)]
        added_later: Option<String>,
    }

    #[test]
    fn newer_reader_accepts_older_record() {
        let bytes = encode(
            b"k",
            &V1 {
                id: "a".into(),
                removed_later: 7,
            },
        )
        .unwrap();
        let v2: V2 = decode(b"k", &bytes).unwrap();
        assert_eq!(v2.id, "a");
        assert!(v2.added_later.is_none());
    }

    #[test]
    fn garbage_is_reported_as_corrupt_with_its_key() {
        let err = decode::<V2>(b"prd/1", &[0xff, 0x00, 0x13]).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { ref key, .. } if key == "prd/1"));
    }
}
