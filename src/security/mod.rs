//! Secrets and credentials: the server's secret key and the keys derived from it, password
//! hashing, and random codes. Pure computation; no HTTP, no SQL.

pub mod form_token;
mod password;
mod secret;
mod tokens;

pub use password::{PasswordError, hash_password, verify_password};
pub use secret::{SecretKey, SecretKeyError};
pub use tokens::{READABLE_ALPHABET, RECEIPT_CODE_LEN, random_readable, random_url_token, receipt_code};

/// Compares secrets without revealing, through timing, where they first differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
