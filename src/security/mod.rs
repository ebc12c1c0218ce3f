//! Secrets and credentials: the server's secret key and the keys derived from it, password
//! hashing, and random codes. Pure computation; no HTTP, no SQL.

mod password;
mod secret;
mod tokens;

pub use password::{PasswordError, hash_password, verify_password};
pub use secret::{SecretKey, SecretKeyError};
pub use tokens::{READABLE_ALPHABET, random_readable, random_url_token};
