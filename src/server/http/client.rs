//! Who is on the other end of a request: address and user agent.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::{header, request::Parts, HeaderMap};

use crate::server::auth::ClientInfo;

/// The client's address is the socket's, unless the socket is a trusted proxy: then the
/// `X-Forwarded-For` entries are walked from the right (the ones trusted proxies appended)
/// while the hop so far is a trusted proxy. An entry that is no address ends the walk at the
/// hop before it: what lies left of it was written by someone the walk cannot vouch for.
pub fn client_info(
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    trusted_proxies: &[IpAddr],
) -> ClientInfo {
    let mut ip = peer.map(|p| p.ip());
    let entries = headers
        .get_all("x-forwarded-for")
        .iter()
        .map(|v| v.to_str().unwrap_or(""))
        .flat_map(|v| v.split(','))
        .collect::<Vec<_>>();
    for entry in entries.iter().rev() {
        if !ip.is_some_and(|hop| trusted_proxies.contains(&hop)) {
            break;
        }
        match forwarded_address(entry) {
            Some(hop) => ip = Some(hop),
            None => break,
        }
    }
    ClientInfo {
        ip,
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        device: None,
    }
}

/// One `X-Forwarded-For` entry as an address: `203.0.113.9`, `203.0.113.9:4711`, `2001:db8::1`
/// or `[2001:db8::1]:4711` (some proxies keep the port).
fn forwarded_address(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// The socket address axum recorded for this request, if served with connect info.
pub fn peer_addr(parts: &Parts) -> Option<SocketAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "6.6.6.6, 203.0.113.9".parse().unwrap());
        let proxy: SocketAddr = "10.0.0.1:5000".parse().unwrap();
        let trusted = ["10.0.0.1".parse().unwrap()];
        assert_eq!(
            client_info(&headers, Some(proxy), &trusted).ip,
            Some("203.0.113.9".parse().unwrap())
        );
        assert_eq!(
            client_info(&headers, Some(proxy), &[]).ip,
            Some("10.0.0.1".parse().unwrap())
        );
    }

    #[test]
    fn ports_are_stripped_and_garbage_ends_the_walk() {
        let proxy: SocketAddr = "10.0.0.1:5000".parse().unwrap();
        let trusted: [IpAddr; 2] = ["10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap()];
        let ip_of = |xff: &str| {
            let mut headers = HeaderMap::new();
            headers.insert("x-forwarded-for", xff.parse().unwrap());
            client_info(&headers, Some(proxy), &trusted)
                .ip
                .unwrap()
                .to_string()
        };
        assert_eq!(ip_of("203.0.113.9:4711"), "203.0.113.9");
        assert_eq!(ip_of("[2001:db8::1]:4711"), "2001:db8::1");
        assert_eq!(ip_of("2001:db8::1"), "2001:db8::1");
        // Through two trusted proxies to the client.
        assert_eq!(ip_of("6.6.6.6, 203.0.113.9, 10.0.0.2"), "203.0.113.9");
        // Garbage right of the client: the walk stops at the proxy, never skips to the left.
        assert_eq!(ip_of("6.6.6.6, not-an-address"), "10.0.0.1");
        assert_eq!(ip_of("6.6.6.6, unknown, 10.0.0.2"), "10.0.0.2");
    }
}
