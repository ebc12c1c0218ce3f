//! Who is asking: the resident's address (behind trusted proxies) and a rate limit per address.

use std::net::IpAddr;

use actix_governor::governor::NotUntil;
use actix_governor::governor::clock::{Clock, DefaultClock, QuantaInstant};
use actix_governor::governor::middleware::NoOpMiddleware;
use actix_governor::{GovernorConfig, GovernorConfigBuilder, KeyExtractor, SimpleKeyExtractionError};
use actix_web::dev::ServiceRequest;
use actix_web::http::header;
use actix_web::{HttpMessage, HttpResponse, HttpResponseBuilder, web};
use maud::html;
use tracing_actix_web::RootSpanBuilder;

use super::AppState;
use super::layout::public_page;
use super::text::Bi;

/// The client's address: the peer, or, when the peer is one of our proxies, the right-most
/// address in `X-Forwarded-For` that is not a proxy (anything left of it can be forged).
/// Every `X-Forwarded-For` line counts, joined in order (a client may send its own line before
/// the proxy's), and the list is read from the right: trusted proxies are skipped and the first
/// other entry is the client. An entry that is not an address there means the chain cannot be
/// read further, so the nearest trusted hop is taken (never anything left of it).
pub fn client_ip(peer: Option<IpAddr>, headers: &header::HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    let peer = peer.unwrap_or(IpAddr::from([127, 0, 0, 1]));
    if !trusted.contains(&peer) {
        return peer;
    }
    let lines: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .map(|v| v.to_str().unwrap_or(""))
        .collect();
    let mut nearest = peer;
    for entry in lines.iter().rev().flat_map(|line| line.rsplit(',')) {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        match entry.parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => nearest = ip,
            Ok(ip) => return ip,
            Err(_) => return nearest,
        }
    }
    nearest
}

const TOO_MANY: Bi = Bi("操作过于频繁", "Too many requests");

/// Rate-limit key: the client's address, as [`client_ip`] finds it.
#[derive(Clone)]
pub struct ClientKey;

impl KeyExtractor for ClientKey {
    type Key = IpAddr;
    type KeyExtractionError = SimpleKeyExtractionError<&'static str>;

    fn extract(&self, req: &ServiceRequest) -> Result<IpAddr, Self::KeyExtractionError> {
        let trusted = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.settings.trusted_proxies.clone())
            .unwrap_or_default();
        Ok(client_ip(
            req.peer_addr().map(|a| a.ip()),
            req.headers(),
            &trusted,
        ))
    }

    fn exceed_rate_limit_response(
        &self,
        negative: &NotUntil<QuantaInstant>,
        mut response: HttpResponseBuilder,
    ) -> HttpResponse {
        let wait = negative
            .wait_time_from(DefaultClock::default().now())
            .as_secs()
            .max(1);
        let body = public_page(
            &TOO_MANY.plain(),
            html! {
                div.card {
                    h1 { (TOO_MANY) }
                    p { "请" (wait) "秒后再试，您填写的内容不会丢失，可返回上一页重新提交。" }
                    p.muted { "Please try again in " (wait) " s. Go back: your answers are still in the form." }
                }
            },
        );
        response
            .insert_header((header::RETRY_AFTER, wait.to_string()))
            .content_type("text/html; charset=utf-8")
            .body(body.into_string())
    }
}

/// The shared limiter of the public pages: `per_minute` requests a minute per client, with
/// bursts of `burst`; `None` turns the limit off (a front proxy limits instead).
pub fn limiter(per_minute: Option<u32>, burst: u32) -> Limits {
    let config = |per_minute: u32| {
        // Nanoseconds: at the allowed maximum (100,000 a minute) milliseconds would round to zero.
        let period = std::time::Duration::from_nanos(60_000_000_000 / u64::from(per_minute.max(1)));
        GovernorConfigBuilder::default()
            .key_extractor(ClientKey)
            .period(period)
            .burst_size(burst.max(1))
            .finish()
            .expect("a positive period and burst")
    };
    Limits {
        on: per_minute.is_some(),
        config: config(per_minute.unwrap_or(1)),
    }
}

/// The limits of the public survey resources; every resource's middleware shares its state.
#[derive(Clone)]
pub struct Limits {
    /// False when the limit is turned off: the middleware passes every request through.
    on: bool,
    config: GovernorConfig<ClientKey, NoOpMiddleware>,
}

/// The middleware for one resource: the limiter, or nothing when the limit is off.
pub fn limited(
    limits: &Limits,
) -> actix_web::middleware::Condition<actix_governor::Governor<ClientKey, NoOpMiddleware>> {
    actix_web::middleware::Condition::new(limits.on, actix_governor::Governor::new(&limits.config))
}

/// The root span of every request, as tracing-actix-web's default but without the client's
/// address: the survey promises residents that addresses are not stored, and every log line
/// inside a request carries these fields. A client is named by the first 12 hex digits of the
/// keyed hash the quality checks use (`services::survey::client_hashes`), enough to follow one
/// client through the log and useless for finding the address.
pub struct PrivateRootSpan;

impl RootSpanBuilder for PrivateRootSpan {
    fn on_request_start(request: &ServiceRequest) -> tracing::Span {
        let client = request
            .app_data::<web::Data<AppState>>()
            .map(|state| {
                let ip = client_ip(
                    request.peer_addr().map(|a| a.ip()),
                    request.headers(),
                    &state.settings.trusted_proxies,
                );
                let user_agent = request
                    .headers()
                    .get(header::USER_AGENT)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                let (hash, _) = crate::services::survey::client_hashes(
                    &state.secret,
                    &crate::services::survey::Client { ip, user_agent },
                );
                hash.chars().take(12).collect::<String>()
            })
            .unwrap_or_default();
        let request_id = request
            .extensions()
            .get::<tracing_actix_web::RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        let route = request.match_pattern().unwrap_or_else(|| "default".into());
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            http.target = %request.uri().path_and_query().map(|p| p.as_str()).unwrap_or(""),
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            client = %client,
            request_id = %request_id,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        tracing_actix_web::DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xff(lines: &[&str]) -> header::HeaderMap {
        let mut map = header::HeaderMap::new();
        for line in lines {
            map.append(
                header::X_FORWARDED_FOR,
                header::HeaderValue::from_str(line).unwrap(),
            );
        }
        map
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let resident: IpAddr = "203.0.113.7".parse().unwrap();
        let one = xff(&["198.51.100.1, 203.0.113.7"]);
        assert_eq!(
            client_ip(Some(resident), &one, &[proxy]),
            resident,
            "untrusted peer: header ignored"
        );
        assert_eq!(
            client_ip(Some(proxy), &one, &[proxy]),
            resident,
            "right-most untrusted address"
        );
        assert_eq!(
            client_ip(Some(proxy), &xff(&["203.0.113.7, 10.0.0.2"]), &[proxy]),
            resident
        );
        assert_eq!(client_ip(Some(proxy), &xff(&[]), &[proxy]), proxy);
        assert_eq!(client_ip(Some(proxy), &xff(&["garbage"]), &[proxy]), proxy);
        assert_eq!(
            client_ip(Some(proxy), &xff(&["203.0.113.7, garbage"]), &[proxy]),
            proxy,
            "nothing left of an unreadable entry is believed"
        );
    }

    #[test]
    fn every_forwarded_line_is_read_right_to_left() {
        let proxies: Vec<IpAddr> = vec!["10.0.0.2".parse().unwrap(), "10.0.0.3".parse().unwrap()];
        let resident: IpAddr = "203.0.113.7".parse().unwrap();
        // The client's own line first, then the line the proxy added.
        let forged = xff(&["198.51.100.99", "203.0.113.7"]);
        assert_eq!(client_ip(Some(proxies[0]), &forged, &proxies), resident);
        // Two proxies, each adding its own line.
        let chained = xff(&["1.1.1.1, 203.0.113.7", "10.0.0.3"]);
        assert_eq!(client_ip(Some(proxies[0]), &chained, &proxies), resident);
    }

    #[test]
    fn every_allowed_limit_builds_a_limiter() {
        for (per_minute, burst) in [(1, 1), (60, 30), (100_000, 100_000)] {
            assert!(limiter(Some(per_minute), burst).on);
        }
        assert!(!limiter(None, 30).on, "off");
    }
}
