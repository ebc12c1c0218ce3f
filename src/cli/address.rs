//! The address the CLI puts in links, QR codes and invitation emails. The CLI has no listener:
//! it takes the public URL of its own settings, else the address the server recorded when it
//! started, else the default one. A loopback address is still used, with a warning, since a
//! phone or a printed QR code cannot reach it.

use url::{Host, Url};

use crate::config::Settings;
use crate::db::{self, AnyConnection, DbError};

/// The hint `serve` prints when it can be reached from this machine only.
pub const ONLY_THIS_MACHINE: &str = "只能在本机访问；要用手机打开，请设置 PINGYI_BIND=0.0.0.0:8080 \
    PINGYI_PUBLIC_URL=http://<局域网地址>:8080 后重启。 Reachable from this machine only; to open it \
    on a phone, restart with PINGYI_BIND=0.0.0.0:8080 PINGYI_PUBLIC_URL=http://<LAN address>:8080.";

/// The base URL for links (no trailing slash); warns on standard error when it is loopback.
pub fn public_base(settings: &Settings, conn: &mut AnyConnection) -> Result<String, DbError> {
    let base = match settings.public_url {
        Some(_) => settings.base_url(settings.bind),
        None => match db::settings::get(conn, db::settings::PUBLIC_URL)? {
            Some(recorded) => recorded,
            None => settings.base_url(settings.bind),
        },
    };
    if is_loopback(&base) {
        eprintln!("{}", loopback_warning(&base));
    }
    Ok(base)
}

/// Whether `base` names this machine only: localhost, 127.0.0.0/8, ::1 (or an unspecified
/// address, which no browser can open either).
pub fn is_loopback(base: &str) -> bool {
    match Url::parse(base).ok().as_ref().and_then(Url::host) {
        Some(Host::Domain(name)) => {
            let name = name.to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        Some(Host::Ipv4(ip)) => ip.is_loopback() || ip.is_unspecified(),
        Some(Host::Ipv6(ip)) => ip.is_loopback() || ip.is_unspecified(),
        None => false,
    }
}

fn loopback_warning(base: &str) -> String {
    format!(
        "警告：{base} 是本机地址，手机和海报上的二维码都打不开它。请在服务器上设置 PINGYI_PUBLIC_URL\
         （如 http://<局域网地址>:8080，并用 PINGYI_BIND=0.0.0.0:8080 监听）后重启，再生成链接。 \
         Warning: {base} is a loopback address; phones and printed QR codes cannot reach it. Start \
         the server with PINGYI_PUBLIC_URL (e.g. http://<LAN address>:8080, listening on \
         PINGYI_BIND=0.0.0.0:8080), then make the link again."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_addresses_are_told_apart_from_reachable_ones() {
        for base in [
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "http://localhost:8080",
            "http://LOCALHOST",
            "http://app.localhost",
            "http://[::1]:8080",
            "http://0.0.0.0:8080",
        ] {
            assert!(is_loopback(base), "{base}");
        }
        for base in [
            "http://192.168.1.20:8080",
            "https://pingyi.example.gov.cn",
            "http://[fe80::1]:8080",
            "http://10.0.0.5",
            "not a url",
        ] {
            assert!(!is_loopback(base), "{base}");
        }
    }

    #[test]
    fn the_warning_names_the_address_and_the_setting_chinese_first() {
        let w = loopback_warning("http://127.0.0.1:8080");
        assert!(w.starts_with("警告"), "{w}");
        assert!(
            w.contains("http://127.0.0.1:8080") && w.contains("PINGYI_PUBLIC_URL"),
            "{w}"
        );
        assert!(w.find("Warning").unwrap() > w.find("警告").unwrap());
        assert_eq!(w.lines().count(), 1);
    }
}
