//! Who is on the other end of a request: address and user agent.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::{header, request::Parts, HeaderMap};

use crate::server::auth::ClientInfo;

/// The client's address is the socket's, unless the socket is a trusted proxy: then it is the
/// right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
pub fn client_info(
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    trusted_proxies: &[IpAddr],
) -> ClientInfo {
    let mut ip = peer.map(|p| p.ip());
    if ip.is_some_and(|p| trusted_proxies.contains(&p)) {
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|s| s.trim().parse::<IpAddr>().ok())
            .collect::<Vec<_>>();
        if let Some(real) = forwarded
            .iter()
            .rev()
            .find(|a| !trusted_proxies.contains(a))
        {
            ip = Some(*real);
        }
    }
    ClientInfo {
        ip,
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    }
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
}
