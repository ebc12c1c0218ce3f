use std::fmt;
use std::str::FromStr;

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// The deployment's secret: signs cookies and form tokens, keys the client hashes.
/// Shared by every node (given in the configuration, or generated once into the database).
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(Vec<u8>);

/// Fewer bytes than this would make cookie signatures and client hashes guessable.
pub const MIN_SECRET_BYTES: usize = 32;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretKeyError {
    #[error("应为至少 64 位十六进制字符 expected at least 64 hexadecimal characters (32 bytes)")]
    Invalid,
}

impl SecretKey {
    pub fn generate() -> Self {
        let mut bytes = vec![0u8; 64];
        rand::rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// A key from raw bytes (e.g. one derived for a single purpose).
    pub fn from_bytes(bytes: &[u8]) -> Self {
        Self(bytes.to_vec())
    }

    pub fn to_hex(&self) -> String {
        hex::encode(&self.0)
    }

    /// A 32-byte key for one purpose, so that no two uses share key material.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        self.mac(purpose.as_bytes())
    }

    /// HMAC-SHA256 of `data` under this key.
    pub fn mac(&self, data: &[u8]) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// 64 bytes for actix's cookie key (signing + encryption), derived from the secret.
    pub fn cookie_key(&self) -> [u8; 64] {
        let mut key = [0u8; 64];
        key[..32].copy_from_slice(&self.derive("cookie-signing"));
        key[32..].copy_from_slice(&self.derive("cookie-encryption"));
        key
    }
}

impl FromStr for SecretKey {
    type Err = SecretKeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match hex::decode(s.trim()) {
            Ok(bytes) if bytes.len() >= MIN_SECRET_BYTES => Ok(Self(bytes)),
            _ => Err(SecretKeyError::Invalid),
        }
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_round_trip_through_hex_and_differ() {
        let a = SecretKey::generate();
        assert_eq!(a.to_hex().parse::<SecretKey>().unwrap(), a);
        assert_ne!(a, SecretKey::generate());
    }

    #[test]
    fn short_or_non_hex_keys_are_refused() {
        assert_eq!("abcd".parse::<SecretKey>(), Err(SecretKeyError::Invalid));
        assert!("zz".repeat(40).parse::<SecretKey>().is_err());
        assert!("ab".repeat(32).parse::<SecretKey>().is_ok());
    }

    #[test]
    fn derived_keys_depend_on_purpose_and_secret() {
        let a = SecretKey::generate();
        assert_ne!(a.derive("x"), a.derive("y"));
        assert_ne!(a.derive("x"), SecretKey::generate().derive("x"));
        assert_eq!(a.derive("x"), a.derive("x"));
    }
}
