//! The boundary check for text: no request's path, query string, form body or JSON body may
//! carry a control character (NUL and the like; tab, line feed and carriage return are allowed
//! in bodies, where text may span lines). One middleware refuses them with 400 before any
//! extractor, parser or query sees them, so PostgreSQL never meets a NUL and a console form, an
//! API body and a filter are refused alike. Two kinds of input are checked where they are read
//! instead: the resident's survey form (refused per question with the form shown again, see
//! `domain::survey`) and multipart uploads (`admin::guard::Upload`, files that are not forms).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError};
use futures_util::StreamExt;

use super::error::AppError;
use super::{BATCH_LIMIT_BYTES, BATCH_PATH, FORM_LIMIT_BYTES};
use crate::domain::text::{CONTROL_CHARACTER, forbidden_control};

const TOO_LARGE: &str = "提交的内容过大（上限 64 KB） the request body is too large (64 KB at most)";

/// Whether some decoded piece of `encoded` (percent-encoded, `a=b&c=d` or a path) holds a
/// control character.
fn encoded_has_control(encoded: &[u8], multiline: bool) -> bool {
    url::form_urlencoded::parse(encoded)
        .any(|(k, v)| forbidden_control(&k, false).is_some() || forbidden_control(&v, multiline).is_some())
}

fn json_has_control(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::String(s) => forbidden_control(s, true).is_some(),
        Value::Array(items) => items.iter().any(json_has_control),
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| forbidden_control(k, false).is_some() || json_has_control(v)),
        _ => false,
    }
}

/// The resident's survey form reports a control character per question, keeping the answers.
fn checked_by_the_survey(req: &ServiceRequest) -> bool {
    req.method() == Method::POST && (req.path().starts_with("/s/") || req.path().starts_with("/i/"))
}

enum Body {
    Form,
    Json,
    Other,
}

fn body_kind(req: &ServiceRequest) -> Body {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        Body::Form
    } else if content_type.starts_with("application/json") || content_type.contains("+json") {
        Body::Json
    } else {
        Body::Other
    }
}

/// The middleware; see the module's comment.
pub async fn refuse_control_characters(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let refuse = |req: ServiceRequest, error: AppError| {
        let res = if req.path().starts_with("/api/") {
            error.problem()
        } else {
            error.error_response()
        };
        Ok(req.into_response(res).map_into_right_body())
    };
    let bad = || AppError::BadRequest(CONTROL_CHARACTER.plain());
    if encoded_has_control(req.path().as_bytes(), false)
        || encoded_has_control(req.query_string().as_bytes(), false)
    {
        return refuse(req, bad());
    }
    let kind = body_kind(&req);
    if !matches!(kind, Body::Other) && !checked_by_the_survey(&req) {
        // The API's batch endpoint takes up to 1,000 evaluations: its own, larger limit (413).
        let batch = req.path() == BATCH_PATH;
        let limit = if batch {
            BATCH_LIMIT_BYTES
        } else {
            FORM_LIMIT_BYTES
        };
        let mut payload = req.take_payload();
        let mut body = actix_web::web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk?;
            if body.len() + chunk.len() > limit {
                let error = if batch {
                    AppError::TooLarge(format!(
                        "提交的内容过大（上限 {} MiB），请分批发送 the request body is too large ({} MiB at most); send it in several requests",
                        BATCH_LIMIT_BYTES >> 20,
                        BATCH_LIMIT_BYTES >> 20
                    ))
                } else {
                    AppError::BadRequest(TOO_LARGE.into())
                };
                return refuse(req, error);
            }
            body.extend_from_slice(&chunk);
        }
        let body = body.freeze();
        let found = match kind {
            Body::Form => encoded_has_control(&body, true),
            // A body that is not JSON is left to the extractor, which says why.
            _ => serde_json::from_slice::<serde_json::Value>(&body).is_ok_and(|v| json_has_control(&v)),
        };
        if found {
            return refuse(req, bad());
        }
        req.set_payload(actix_web::dev::Payload::from(body));
    }
    Ok(next.call(req).await?.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_controls_are_found_in_paths_queries_and_forms() {
        assert!(encoded_has_control(b"/r/AB%00CD", false));
        assert!(encoded_has_control(b"department=%01&x=1", false));
        assert!(encoded_has_control(b"name=a%00b", true));
        assert!(!encoded_has_control(
            b"comment=line+one%0D%0Aline+two%09end",
            true
        ));
        assert!(!encoded_has_control(b"/r/ABCD-1234", false));
        assert!(
            !encoded_has_control(b"q=%E5%BE%88%E5%A5%BD", false),
            "Chinese is text"
        );
    }

    #[test]
    fn json_strings_and_keys_are_walked() {
        let bad: serde_json::Value = serde_json::json!({"answers": [{"text": "a\u{0}b"}]});
        assert!(json_has_control(&bad));
        assert!(json_has_control(&serde_json::json!({"a\u{1}": 1})));
        assert!(!json_has_control(
            &serde_json::json!({"comment": "多行\n文字", "n": -1})
        ));
    }
}
