//! What an API key may be: a name and at least one known scope, checked once here for the
//! console and the CLI alike.

use super::vocabulary::{Scope, Unknown};

/// Longest key name accepted, in characters.
pub const NAME_MAX: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyProblem {
    #[error("名称不能为空，最多100个字符 the key needs a name of at most 100 characters")]
    Name,
    #[error("请至少选择一个权限范围 choose at least one scope")]
    NoScope,
    #[error(transparent)]
    Scope(#[from] Unknown),
}

/// A key as asked for: its name and the scopes it may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeySpec {
    pub name: String,
    pub scopes: Vec<Scope>,
}

impl ApiKeySpec {
    /// A trimmed name and known scopes (duplicates dropped, in canonical order).
    pub fn parse(name: &str, scopes: &[String]) -> Result<ApiKeySpec, KeyProblem> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > NAME_MAX {
            return Err(KeyProblem::Name);
        }
        let mut parsed = scopes
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(str::parse::<Scope>)
            .collect::<Result<Vec<_>, _>>()?;
        parsed.sort();
        parsed.dedup();
        if parsed.is_empty() {
            return Err(KeyProblem::NoScope);
        }
        Ok(ApiKeySpec {
            name: name.to_string(),
            scopes: parsed,
        })
    }

    /// The scopes as stored: `results:read,links:write`.
    pub fn scopes_text(&self) -> String {
        self.scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Longest idempotency key accepted, in characters.
pub const IDEMPOTENCY_KEY_MAX: usize = 200;

/// A caller's name for one submission (`Idempotency-Key`): the same key from the same API key
/// stores one response, and a re-post gets the first receipt. 1–200 visible ASCII characters
/// (a UUID, an order number, `hotline-2026-000123`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "幂等键应为1–200个可见ASCII字符 an idempotency key is 1 to 200 visible ASCII characters (letters, digits, punctuation)"
)]
pub struct BadIdempotencyKey;

impl IdempotencyKey {
    pub fn parse(s: &str) -> Result<IdempotencyKey, BadIdempotencyKey> {
        let ok = !s.is_empty() && s.len() <= IDEMPOTENCY_KEY_MAX && s.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(IdempotencyKey(s.to_string()))
        } else {
            Err(BadIdempotencyKey)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key as stored with the response: scoped to the API key that sent it, so two systems
    /// choosing the same key do not meet (and never like a form's nonce, which has no colon).
    pub fn stored_for(&self, api_key_id: i64) -> String {
        format!("api:{api_key_id}:{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_needs_a_name_and_a_known_scope() {
        let ok = ApiKeySpec::parse(
            " 门户网站 ",
            &["links:write".into(), "results:read".into(), "links:write".into()],
        )
        .unwrap();
        assert_eq!(ok.name, "门户网站");
        assert_eq!(ok.scopes, vec![Scope::ResultsRead, Scope::LinksWrite]);
        assert_eq!(ok.scopes_text(), "results:read,links:write");
        assert_eq!(ApiKeySpec::parse("x", &[]), Err(KeyProblem::NoScope));
        assert_eq!(
            ApiKeySpec::parse("  ", &["results:read".into()]),
            Err(KeyProblem::Name)
        );
        assert!(matches!(
            ApiKeySpec::parse("x", &["root".into()]),
            Err(KeyProblem::Scope(_))
        ));
    }

    #[test]
    fn idempotency_keys_are_visible_ascii_and_scoped_to_their_api_key() {
        let k = IdempotencyKey::parse("hotline-2026-000123").unwrap();
        assert_eq!(k.stored_for(7), "api:7:hotline-2026-000123");
        assert_ne!(k.stored_for(7), k.stored_for(8));
        assert!(IdempotencyKey::parse(&"x".repeat(IDEMPOTENCY_KEY_MAX)).is_ok());
        for bad in [
            "",
            " ",
            "a b",
            "工单1",
            "a\tb",
            &"x".repeat(IDEMPOTENCY_KEY_MAX + 1),
        ] {
            assert_eq!(IdempotencyKey::parse(bad), Err(BadIdempotencyKey), "{bad:?}");
        }
    }
}
