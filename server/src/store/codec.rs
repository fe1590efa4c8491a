//! Record encoding. Records are CBOR maps keyed by field name, so a newer
//! build can add fields (read back with `#[serde(default)]`) and an older
//! one ignores fields it does not know: the encoding evolves without
//! rewriting the store. Never encode positionally here.
//!
//! serde_cbor_2 reads straight from the stored slice; ciborium, used
//! before, pulls every item through a reader and was most of the time of
//! listing orders. Both write the same CBOR, so stores written by either
//! read alike (tested below with bytes ciborium wrote).

use serde::{Serialize, de::DeserializeOwned};

use super::StoreError;

pub fn encode<T: Serialize>(key: &[u8], value: &T) -> Result<Vec<u8>, StoreError> {
    serde_cbor_2::to_vec(value).map_err(|e| StoreError::Corrupt {
        key: String::from_utf8_lossy(key).into_owned(),
        reason: e.to_string(),
    })
}

pub fn decode<T: DeserializeOwned>(key: &[u8], bytes: &[u8]) -> Result<T, StoreError> {
    serde_cbor_2::from_slice(bytes).map_err(|e| StoreError::Corrupt {
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

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    enum Kind {
        Plain,
        Boxed(u32),
        Named { n: i64 },
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Record {
        id: String,
        price: rust_decimal::Decimal,
        qty: u32,
        at: i64,
        note: Option<String>,
        gone: Option<u8>,
        kinds: Vec<Kind>,
        ok: bool,
        ratio: f64,
    }

    fn sample() -> Record {
        Record {
            id: "ord-1".into(),
            price: rust_decimal::Decimal::new(12345, 2),
            qty: 3,
            at: -1_700_000_000_000,
            note: Some("é".into()),
            gone: None,
            kinds: vec![Kind::Plain, Kind::Boxed(7), Kind::Named { n: -2 }],
            ok: true,
            ratio: 0.5,
        }
    }

    /// `sample()` as the earlier codec (ciborium 0.2) stored it: decimals
    /// as text, enums tagged by name, 0.5 as a half-precision float.
    const WRITTEN_BY_CIBORIUM: &str = "a9626964656f72642d31657072696365663132332e343563717479036261743b0000018bcfe567ff646e6f746562c3a964676f6e65f6656b696e64738365506c61696ea165426f78656407a1654e616d6564a1616e21626f6bf565726174696ff93800";

    #[test]
    fn records_stored_by_the_earlier_codec_read_back() {
        let bytes: Vec<u8> = (0..WRITTEN_BY_CIBORIUM.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&WRITTEN_BY_CIBORIUM[i..i + 2], 16).unwrap())
            .collect();
        let read: Record = decode(b"k", &bytes).unwrap();
        assert_eq!(read, sample());
        let again: Record = decode(b"k", &encode(b"k", &read).unwrap()).unwrap();
        assert_eq!(again, sample());
    }

    #[test]
    fn garbage_is_reported_as_corrupt_with_its_key() {
        let err = decode::<V2>(b"prd/1", &[0xff, 0x00, 0x13]).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { ref key, .. } if key == "prd/1"));
    }
}
