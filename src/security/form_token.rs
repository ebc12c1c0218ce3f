//! Signed, timestamped form tokens for the survey form: they prove a post came from a form this
//! server served (for this link), measure how long the resident took, and carry a one-time
//! nonce so a double click or a browser re-post stores one response, not two.

use super::SecretKey;
use super::constant_time_eq;

/// A token older than this is refused; the resident reloads the form (their answers are kept).
pub const MAX_AGE_SECS: i64 = 4 * 3600;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormToken {
    pub issued_at: i64,
    pub nonce: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("表单无效 the form token is missing or was altered")]
    Invalid,
    #[error("表单已过期 the form has expired")]
    Expired,
}

fn mac(secret: &SecretKey, link: &str, issued_at: i64, nonce: &str) -> String {
    let key = SecretKey::from_bytes(&secret.derive("survey-form-token"));
    hex::encode(&key.mac(format!("{link}|{issued_at}|{nonce}").as_bytes())[..16])
}

/// A token for the form of `link`, issued at `now` (Unix seconds).
pub fn issue(secret: &SecretKey, link: &str, now: i64) -> String {
    let nonce = super::random_url_token(16);
    format!("{now}.{nonce}.{}", mac(secret, link, now, &nonce))
}

/// Checks a token posted with the form of `link` at `now`.
pub fn verify(secret: &SecretKey, link: &str, token: &str, now: i64) -> Result<FormToken, TokenError> {
    let mut parts = token.split('.');
    let (Some(at), Some(nonce), Some(sig), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Invalid);
    };
    let issued_at: i64 = at.parse().map_err(|_| TokenError::Invalid)?;
    if nonce.len() != 16 || !constant_time_eq(mac(secret, link, issued_at, nonce).as_bytes(), sig.as_bytes())
    {
        return Err(TokenError::Invalid);
    }
    // Saturating: a signed token carrying a time near i64::MIN or MAX must not overflow.
    if now.saturating_sub(issued_at) > MAX_AGE_SECS || issued_at > now.saturating_add(60) {
        return Err(TokenError::Expired);
    }
    Ok(FormToken {
        issued_at,
        nonce: nonce.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_for_its_link_only_and_expires() {
        let secret = SecretKey::generate();
        let token = issue(&secret, "AbC123", 1_000_000);
        let ok = verify(&secret, "AbC123", &token, 1_000_010).unwrap();
        assert_eq!(ok.issued_at, 1_000_000);
        assert_eq!(
            verify(&secret, "Other1", &token, 1_000_010),
            Err(TokenError::Invalid)
        );
        assert_eq!(
            verify(&SecretKey::generate(), "AbC123", &token, 1_000_010),
            Err(TokenError::Invalid)
        );
        assert_eq!(
            verify(&secret, "AbC123", &token, 1_000_000 + MAX_AGE_SECS + 1),
            Err(TokenError::Expired)
        );
        let tampered = token.replacen("1000000", "1000005", 1);
        assert_eq!(
            verify(&secret, "AbC123", &tampered, 1_000_010),
            Err(TokenError::Invalid)
        );
        for junk in ["", "x", "1.2", "a.b.c", "1.2.3.4"] {
            assert_eq!(
                verify(&secret, "AbC123", junk, 1_000_010),
                Err(TokenError::Invalid),
                "{junk}"
            );
        }
        assert_ne!(
            issue(&secret, "AbC123", 5),
            issue(&secret, "AbC123", 5),
            "each form gets its own nonce"
        );
    }

    #[test]
    fn a_signed_token_from_the_ends_of_time_is_expired_not_a_panic() {
        let secret = SecretKey::generate();
        for at in [i64::MIN, i64::MIN + 1, i64::MAX, i64::MAX - 30] {
            let nonce = "abcdefghijklmnop";
            let token = format!("{at}.{nonce}.{}", mac(&secret, "AbC123", at, nonce));
            for now in [0, 1_000_000, 1_780_000_000] {
                assert_eq!(
                    verify(&secret, "AbC123", &token, now),
                    Err(TokenError::Expired),
                    "issued {at}, now {now}"
                );
            }
        }
    }
}
