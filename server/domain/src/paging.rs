//! AIP-158 paging. A page token is opaque to clients: it carries the offset
//! and a fingerprint of the query it belongs to, so a token replayed against a
//! different query is refused instead of silently returning the wrong page.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::DomainError;

const TOKEN_VERSION: u8 = 1;
const TOKEN_LEN: usize = 1 + 8 + 4;

/// Limits of one List/Search method.
#[derive(Debug, Clone, Copy)]
pub struct PageLimits {
    pub default_size: usize,
    pub max_size: usize,
}

impl PageLimits {
    /// Pages of `default_size` when the caller names none, and of at most
    /// `max_size`.
    pub const fn new(default_size: usize, max_size: usize) -> Self {
        Self {
            default_size,
            max_size,
        }
    }

    /// The page size to use for a requested `page_size`: every List
    /// method's one rule. 0 asks for the default; a size above the
    /// maximum is coerced, not refused (AIP-158); a negative one is
    /// refused, naming `page_size`.
    pub fn size(&self, requested: i32) -> Result<usize, DomainError> {
        match requested {
            n if n < 0 => Err(DomainError::invalid(
                "INVALID_PAGE_SIZE",
                "page_size",
                format!("must not be negative, got {n}"),
            )),
            0 => Ok(self.default_size),
            n => Ok((n as usize).min(self.max_size)),
        }
    }
}

/// A validated page request: where to start and how many to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub offset: usize,
    pub size: usize,
    fingerprint: u64,
}

impl Page {
    /// Validates `page_size` and `page_token` for a query whose identity is
    /// `fingerprint` (a hash of every request field except the paging ones).
    pub fn parse(
        page_size: i32,
        page_token: &str,
        fingerprint: u64,
        limits: PageLimits,
    ) -> Result<Self, DomainError> {
        let size = limits.size(page_size)?;
        let offset = if page_token.is_empty() {
            0
        } else {
            decode_token(page_token, fingerprint)?
        };
        Ok(Self {
            offset,
            size,
            fingerprint,
        })
    }

    /// The token for the page after this one, if `total` has more.
    pub fn next_token(&self, total: usize) -> String {
        let next = self.offset.saturating_add(self.size);
        if next >= total {
            return String::new();
        }
        let mut raw = Vec::with_capacity(TOKEN_LEN);
        raw.push(TOKEN_VERSION);
        raw.extend_from_slice(&self.fingerprint.to_be_bytes());
        raw.extend_from_slice(&(next as u32).to_be_bytes());
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// The index range of this page within `total` results.
    pub fn window(&self, total: usize) -> std::ops::Range<usize> {
        let start = self.offset.min(total);
        start..start.saturating_add(self.size).min(total)
    }
}

fn decode_token(token: &str, fingerprint: u64) -> Result<usize, DomainError> {
    let malformed = || {
        DomainError::invalid(
            "INVALID_PAGE_TOKEN",
            "page_token",
            "is not a token this server issued; start again with an empty page_token",
        )
    };
    let raw = URL_SAFE_NO_PAD.decode(token).map_err(|_| malformed())?;
    if raw.len() != TOKEN_LEN || raw[0] != TOKEN_VERSION {
        return Err(malformed());
    }
    let mut fp = [0u8; 8];
    fp.copy_from_slice(&raw[1..9]);
    if u64::from_be_bytes(fp) != fingerprint {
        return Err(DomainError::invalid(
            "PAGE_TOKEN_MISMATCH",
            "page_token",
            "belongs to a different query; keep every other field unchanged while paging",
        ));
    }
    let mut off = [0u8; 4];
    off.copy_from_slice(&raw[9..13]);
    Ok(u32::from_be_bytes(off) as usize)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const LIMITS: PageLimits = PageLimits {
        default_size: 20,
        max_size: 200,
    };

    fn field_of(err: DomainError) -> (String, &'static str) {
        match err {
            DomainError::InvalidArgument { reason, violations } => {
                (violations[0].field.clone(), reason)
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn sizes_default_and_cap() {
        assert_eq!(Page::parse(0, "", 1, LIMITS).unwrap().size, 20);
        assert_eq!(Page::parse(5000, "", 1, LIMITS).unwrap().size, 200);
        let err = Page::parse(-1, "", 1, LIMITS).unwrap_err();
        assert_eq!(field_of(err), ("page_size".into(), "INVALID_PAGE_SIZE"));
    }

    #[test]
    fn every_list_sizes_its_pages_by_one_rule() {
        assert_eq!(LIMITS.size(0).unwrap(), 20);
        assert_eq!(LIMITS.size(7).unwrap(), 7);
        assert_eq!(LIMITS.size(200).unwrap(), 200);
        assert_eq!(LIMITS.size(i32::MAX).unwrap(), 200);
        let err = LIMITS.size(-3).unwrap_err();
        assert!(err.to_string().contains("got -3"), "{err}");
        assert_eq!(field_of(err), ("page_size".into(), "INVALID_PAGE_SIZE"));
    }

    #[test]
    fn tokens_walk_the_results_and_end() {
        let first = Page::parse(10, "", 42, LIMITS).unwrap();
        let token = first.next_token(25);
        let second = Page::parse(10, &token, 42, LIMITS).unwrap();
        assert_eq!(second.offset, 10);
        let third = Page::parse(10, &second.next_token(25), 42, LIMITS).unwrap();
        assert_eq!(third.window(25), 20..25);
        assert_eq!(third.next_token(25), "");
    }

    #[test]
    fn foreign_and_garbage_tokens_are_refused() {
        let token = Page::parse(10, "", 42, LIMITS).unwrap().next_token(25);
        let err = Page::parse(10, &token, 43, LIMITS).unwrap_err();
        assert_eq!(field_of(err), ("page_token".into(), "PAGE_TOKEN_MISMATCH"));
        for bad in ["!!", "AAAA", "not-a-token"] {
            let err = Page::parse(10, bad, 42, LIMITS).unwrap_err();
            assert_eq!(field_of(err), ("page_token".into(), "INVALID_PAGE_TOKEN"));
        }
    }
}
