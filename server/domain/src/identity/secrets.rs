//! What Tradeport's bearer secrets look like: a short prefix saying what the
//! secret is (so a leaked one is recognisable in a scanner, and the audit
//! trail can refuse to record one). They are made, and hashed for storage,
//! in the identity use cases (`identity::secrets`), which own the
//! operating system's randomness.

pub const ACCESS_PREFIX: &str = "tpa_";
pub const REFRESH_PREFIX: &str = "tpr_";
pub const INVITATION_PREFIX: &str = "tpi_";
pub const API_KEY_PREFIX: &str = "tpk_";
