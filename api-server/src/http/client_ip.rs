//! The client's IP address: the socket peer, or — only when the peer is a trusted proxy — the
//! nearest untrusted address of `X-Forwarded-For`.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;

use super::AppState;

/// The client's address, when known (requests served without connection info have none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub Option<IpAddr>);

impl ClientIp {
    /// The address as text, for audit records.
    pub fn to_audit(self) -> Option<String> {
        self.0.map(|ip| ip.to_string())
    }
}

/// Resolves the client address of a request from `peer` and its headers.
pub fn resolve(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = peer?;
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let mut hops: Vec<IpAddr> = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        let Ok(text) = value.to_str() else {
            return Some(peer);
        };
        for part in text.split(',') {
            match part.trim().parse::<IpAddr>() {
                Ok(ip) => hops.push(ip),
                Err(_) => return Some(peer),
            }
        }
    }
    // Right to left: each trusted proxy appended the address it saw.
    let mut client = peer;
    for hop in hops.into_iter().rev() {
        client = hop;
        if !is_trusted(&hop) {
            break;
        }
    }
    Some(client)
}

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(ClientIp(resolve(
            peer,
            &parts.headers,
            state.trusted_proxies(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn untrusted_peer_is_the_client_whatever_the_header_says() {
        let h = headers(&["1.2.3.4"]);
        assert_eq!(resolve(Some(ip("9.9.9.9")), &h, &[]), Some(ip("9.9.9.9")));
        let trusted = ["10.0.0.0/8".parse().unwrap()];
        assert_eq!(
            resolve(Some(ip("9.9.9.9")), &h, &trusted),
            Some(ip("9.9.9.9"))
        );
    }

    #[test]
    fn trusted_proxies_are_skipped_from_the_right() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let peer = Some(ip("10.1.1.1"));
        let h = headers(&["6.6.6.6, 1.2.3.4, 10.2.2.2"]);
        assert_eq!(
            resolve(peer, &h, &trusted),
            Some(ip("1.2.3.4")),
            "spoofed left part ignored"
        );
        let h = headers(&["1.2.3.4", "10.2.2.2"]);
        assert_eq!(
            resolve(peer, &h, &trusted),
            Some(ip("1.2.3.4")),
            "several header lines"
        );
        assert_eq!(resolve(peer, &headers(&[]), &trusted), peer, "no header");
        assert_eq!(
            resolve(peer, &headers(&["nonsense"]), &trusted),
            peer,
            "malformed"
        );
        assert_eq!(
            resolve(peer, &headers(&["10.3.3.3"]), &trusted),
            Some(ip("10.3.3.3"))
        );
        assert_eq!(resolve(None, &headers(&["1.2.3.4"]), &trusted), None);
    }
}
