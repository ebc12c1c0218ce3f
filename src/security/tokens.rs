use rand::Rng;
use rand::distr::Alphanumeric;

/// Letters and digits that cannot be mistaken for each other when read aloud or copied by
/// hand: no 0/O, 1/I/L.
pub const READABLE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// `len` characters from [`READABLE_ALPHABET`] (about 4.95 bits each).
pub fn random_readable(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| READABLE_ALPHABET[rng.random_range(0..READABLE_ALPHABET.len())] as char)
        .collect()
}

/// Characters in a receipt code: short enough to read out on the phone, about 50 bits.
pub const RECEIPT_CODE_LEN: usize = 10;

/// A resident's receipt code (回执码), the same shape wherever a response is stored.
pub fn receipt_code() -> String {
    random_readable(RECEIPT_CODE_LEN)
}

/// `len` alphanumeric characters (about 5.95 bits each), for tokens that travel in URLs.
pub fn random_url_token(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readable_codes_avoid_confusable_characters() {
        for _ in 0..200 {
            let code = random_readable(12);
            assert_eq!(code.len(), 12);
            assert!(!code.contains(['0', 'O', '1', 'I', 'L']), "{code}");
        }
        assert_ne!(random_readable(12), random_readable(12));
    }

    #[test]
    fn url_tokens_are_alphanumeric() {
        let t = random_url_token(24);
        assert_eq!(t.len(), 24);
        assert!(t.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
