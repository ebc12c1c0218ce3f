//! Who is asking: the resident's address (behind trusted proxies) and a rate limit per address.

use std::net::IpAddr;

use actix_governor::governor::NotUntil;
use actix_governor::governor::clock::{Clock, DefaultClock, QuantaInstant};
use actix_governor::governor::middleware::NoOpMiddleware;
use actix_governor::{GovernorConfig, GovernorConfigBuilder, KeyExtractor, SimpleKeyExtractionError};
use actix_web::dev::ServiceRequest;
use actix_web::http::header;
use actix_web::{HttpResponse, HttpResponseBuilder, web};
use maud::html;

use super::AppState;
use super::layout::public_page;
use super::text::Bi;

/// The client's address: the peer, or, when the peer is one of our proxies, the right-most
/// address in `X-Forwarded-For` that is not a proxy (anything left of it can be forged).
pub fn client_ip(peer: Option<IpAddr>, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> IpAddr {
    let peer = peer.unwrap_or(IpAddr::from([127, 0, 0, 1]));
    if !trusted.contains(&peer) {
        return peer;
    }
    forwarded_for
        .and_then(|v| {
            v.split(',')
                .rev()
                .filter_map(|a| a.trim().parse::<IpAddr>().ok())
                .find(|ip| !trusted.contains(ip))
        })
        .unwrap_or(peer)
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
        let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
        Ok(client_ip(req.peer_addr().map(|a| a.ip()), forwarded, &trusted))
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
/// bursts of `burst`.
pub fn limiter(per_minute: u32, burst: u32) -> Limits {
    // Nanoseconds: at the allowed maximum (100,000 a minute) milliseconds would round to zero.
    let period = std::time::Duration::from_nanos(60_000_000_000 / u64::from(per_minute.max(1)));
    GovernorConfigBuilder::default()
        .key_extractor(ClientKey)
        .period(period)
        .burst_size(burst.max(1))
        .finish()
        .expect("a positive period and burst")
}

/// The limits of the public survey resources; every resource's middleware shares its state.
pub type Limits = GovernorConfig<ClientKey, NoOpMiddleware>;

/// The middleware for one resource.
pub fn limited(limits: &Limits) -> actix_governor::Governor<ClientKey, NoOpMiddleware> {
    actix_governor::Governor::new(limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let resident: IpAddr = "203.0.113.7".parse().unwrap();
        let xff = Some("198.51.100.1, 203.0.113.7");
        assert_eq!(
            client_ip(Some(resident), xff, &[proxy]),
            resident,
            "untrusted peer: header ignored"
        );
        assert_eq!(
            client_ip(Some(proxy), xff, &[proxy]),
            resident,
            "right-most untrusted address"
        );
        assert_eq!(
            client_ip(Some(proxy), Some("203.0.113.7, 10.0.0.2"), &[proxy]),
            resident
        );
        assert_eq!(client_ip(Some(proxy), None, &[proxy]), proxy);
        assert_eq!(client_ip(Some(proxy), Some("garbage"), &[proxy]), proxy);
    }

    #[test]
    fn every_allowed_limit_builds_a_limiter() {
        for (per_minute, burst) in [(1, 1), (60, 30), (100_000, 100_000)] {
            let _ = limiter(per_minute, burst);
        }
    }
}
