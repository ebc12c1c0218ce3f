//! The product's core words as types: channels, response statuses, respondent groups, API
//! scopes and which results (live or a version). Each is spelled once here; the database stores
//! `as_str()`, every entry point parses with `FromStr`, and labels for people live in `web`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A word that is not one of its vocabulary's, with what would have been accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{zh}应为 {allowed}，不能是“{value}” the {en} must be one of {allowed}, not '{value}'")]
pub struct Unknown {
    pub zh: &'static str,
    pub en: &'static str,
    pub allowed: String,
    pub value: String,
}

/// Declares a closed vocabulary of words stored as text.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident ($zh:literal, $en:literal) { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant,)+ }

        impl $name {
            /// Every word, in its canonical order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)+ }
            }

            /// The word for `text`, if it is one.
            pub fn parse(text: &str) -> Option<$name> {
                text.parse().ok()
            }
        }

        impl FromStr for $name {
            type Err = Unknown;

            fn from_str(text: &str) -> Result<Self, Unknown> {
                match text {
                    $($text => Ok($name::$variant),)+
                    _ => Err(Unknown {
                        zh: $zh,
                        en: $en,
                        allowed: [$($text,)+].join(", "),
                        value: text.chars().take(40).collect(),
                    }),
                }
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

vocabulary! {
    /// How a response arrived.
    Channel("渠道", "channel") {
        Web = "web",
        Wechat = "wechat",
        Phone = "phone",
        Newmedia = "newmedia",
        Onsite = "onsite",
        Email = "email",
        Api = "api",
    }
}

impl Channel {
    /// Channels a link may have: a link is opened in a browser. `phone` (operators' entry),
    /// `email` (invitations) and `api` (other systems) have their own ways in.
    pub const LINK: &'static [Channel] = &[Channel::Web, Channel::Wechat, Channel::Newmedia, Channel::Onsite];

    /// Channels another system may submit through the API: a hotline, a rating pad, itself.
    pub const DIRECT: &'static [Channel] = &[Channel::Phone, Channel::Onsite, Channel::Api];

    pub fn is_link(self) -> bool {
        Channel::LINK.contains(&self)
    }

    /// A generic web link opened inside WeChat (user agent `MicroMessenger`) is a WeChat rating.
    pub fn as_opened_by(self, user_agent: &str) -> Channel {
        if self == Channel::Web && user_agent.contains("MicroMessenger") {
            Channel::Wechat
        } else {
            self
        }
    }
}

vocabulary! {
    /// Whether a response counts: `valid` does, `suspect` waits for review, `rejected` never.
    ResponseStatus("状态", "status") {
        Valid = "valid",
        Suspect = "suspect",
        Rejected = "rejected",
    }
}

vocabulary! {
    /// Who answered: the public, or an invited panel (人大代表、政协委员、特邀监督员).
    Group("评价群体", "respondent group") {
        Public = "public",
        Panel = "panel",
    }
}

vocabulary! {
    /// What an API key may do.
    Scope("权限范围", "scope") {
        ResultsRead = "results:read",
        ResultsPublish = "results:publish",
        ExportsRead = "exports:read",
        ResponsesRead = "responses:read",
        ResponsesContacts = "responses:contacts",
        ResponsesWrite = "responses:write",
        LinksRead = "links:read",
        LinksWrite = "links:write",
        InvitationsWrite = "invitations:write",
    }
}

/// Which results of a period: the live computation, a published version, or the newest
/// published version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Live,
    Published(i32),
    /// The newest published version, or live results when nothing is published.
    Newest,
}

/// A version that is neither a number nor `live`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("版本应为版本号或 live，不能是“{0}” the version must be a number or live, not '{0}'")]
pub struct BadVersion(pub String);

impl Which {
    /// `live`, a version number, or nothing (empty or absent) for the newest published one.
    pub fn parse(text: Option<&str>) -> Result<Which, BadVersion> {
        match text.map(str::trim) {
            None | Some("") => Ok(Which::Newest),
            Some("live") => Ok(Which::Live),
            Some(v) => match v.parse::<i32>() {
                Ok(n) if n >= 1 => Ok(Which::Published(n)),
                _ => Err(BadVersion(v.chars().take(40).collect())),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_and_unknown_words_say_what_is_allowed() {
        for c in Channel::ALL {
            assert_eq!(c.as_str().parse::<Channel>(), Ok(*c));
        }
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.as_str()), Some(*s));
        }
        let e = "fax".parse::<Channel>().unwrap_err().to_string();
        assert!(
            e.contains("web, wechat, phone") && e.contains("'fax'") && e.starts_with("渠道"),
            "{e}"
        );
        assert_eq!(ResponseStatus::parse("valid"), Some(ResponseStatus::Valid));
        assert_eq!(Group::parse("Panel"), None, "words are exact");
    }

    #[test]
    fn serde_uses_the_stored_words() {
        assert_eq!(serde_json::to_string(&Group::Panel).unwrap(), "\"panel\"");
        assert_eq!(
            serde_json::from_str::<Scope>("\"links:write\"").unwrap(),
            Scope::LinksWrite
        );
        assert!(serde_json::from_str::<Channel>("\"fax\"").is_err());
    }

    #[test]
    fn wechat_is_recognised_only_on_web_links() {
        let ua = "Mozilla/5.0 MicroMessenger/8.0";
        assert_eq!(Channel::Web.as_opened_by(ua), Channel::Wechat);
        assert_eq!(Channel::Onsite.as_opened_by(ua), Channel::Onsite);
        assert_eq!(Channel::Web.as_opened_by("Safari"), Channel::Web);
        assert!(Channel::Onsite.is_link() && !Channel::Phone.is_link());
    }

    #[test]
    fn which_results() {
        assert_eq!(Which::parse(None), Ok(Which::Newest));
        assert_eq!(Which::parse(Some("")), Ok(Which::Newest));
        assert_eq!(Which::parse(Some("live")), Ok(Which::Live));
        assert_eq!(Which::parse(Some("3")), Ok(Which::Published(3)));
        assert!(Which::parse(Some("0")).is_err());
        assert!(Which::parse(Some("v2")).unwrap_err().to_string().contains("live"));
    }
}
